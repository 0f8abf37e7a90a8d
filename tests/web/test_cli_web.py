"""`vnawatch web` starts uvicorn on the configured store and serves the French page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.alerts.delivery_support import config_text, free_port
from tests.web.support import WATCHLISTS


def test_vnawatch_web_serves_the_subscribe_page(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    database = f"sqlite:///{tmp_path / 'web.db'}"
    config.write_text(f"database_url: {database}\n" + WATCHLISTS + config_text(tmp_path))
    env = {**os.environ, "VNAWATCH_SECRET_KEY": "cli-test-key-0123456789abcdef0123"}
    env.pop("VNAWATCH_DATABASE_URL", None)
    cli = [sys.executable, "-m", "cli", "--config", str(config)]
    subprocess.run([*cli, "init"], check=True, env=env, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "web", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    page = answer.read().decode()
                    headers = answer.headers
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "vnawatch web did not answer"
                time.sleep(0.2)
        assert 'lang="fr"' in page and "Tô Lâm" in page
        assert headers["X-Frame-Options"] == "DENY"
    finally:
        server.terminate()
        server.wait(timeout=20)
