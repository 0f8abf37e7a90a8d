"""Servers tests talk to: FixtureSite serves a copy of the sample site in a child process.

Modelled on Scrapy's ``BaseMockServer``: the child binds 127.0.0.1 port 0 and
prints its URL on stdout; the test reads it and stops the child at exit. Each
test serves its own copy (in ``tmp_path``), so it can edit feeds, add pages and
set faults (``_faults.json``, see ``demo.localsite``) while the site runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from demo.localsite import AGENT_LOG, FAULTS_FILE, REQUEST_LOG
from demo.sitegen import SAMPLE_SITE

ROOT = Path(__file__).resolve().parents[1]


class FixtureSite:
    """A per-test copy of a site directory served by ``python -m demo.localsite``."""

    def __init__(self, directory: Path, source: Path = SAMPLE_SITE) -> None:
        self.root = directory
        if source is not None and not directory.exists():
            shutil.copytree(source, directory)
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FixtureSite:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "demo.localsite", str(self.root), "--request-log"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), f"no URL from the server: {self.url!r}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)

    def path(self, relative: str) -> Path:
        return self.root / relative.lstrip("/")

    def set_faults(self, faults: dict[str, dict[str, Any]]) -> None:
        """Replace the fault table (URL path -> fault), read by the server per request."""
        (self.root / FAULTS_FILE).write_text(json.dumps(faults), encoding="utf-8")

    def requests(self) -> list[str]:
        """Every path requested so far, in order."""
        log = self.root / REQUEST_LOG
        return log.read_text().splitlines() if log.exists() else []

    def user_agents(self) -> set[str]:
        """The User-Agent headers of every request so far."""
        log = self.root / AGENT_LOG
        return set(log.read_text().splitlines()) if log.exists() else set()

    def clear_requests(self) -> None:
        (self.root / REQUEST_LOG).unlink(missing_ok=True)
        (self.root / AGENT_LOG).unlink(missing_ok=True)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate and key for 127.0.0.1 (openssl), as (cert, key)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        ["openssl", *request, *subject, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key
