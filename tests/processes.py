"""Real `vnawatch` processes for scheduler tests: start, read logs, poll, signal.

Nothing here sleeps for a fixed time: every wait polls a condition until a
deadline and fails with what the process logged so far.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


# Limits are generous: they cost time only when a test fails anyway, and a
# loaded CI machine (the second core busy) may take several times longer.
WAIT = 60.0


def wait_for(
    condition: Callable[[], T],
    timeout: float = WAIT,
    what: str = "condition",
    context: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``.

    ``context`` adds what explains a timeout (a process's log) to the failure.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{context()}" if context else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(0.05)


def base_config(tmp_path: Path, database_url: str | None = None) -> dict[str, Any]:
    """A small valid config: one (disabled) source, two rules, one subscriber, fast timers."""
    return {
        "database_url": database_url or f"sqlite:///{tmp_path / 'vnawatch.db'}",
        "sources": {
            "local": {
                "name": "Local",
                "base_url": "http://127.0.0.1:9",
                "credit": "VNA",
                "feeds": ["http://127.0.0.1:9/rss.xml"],
                "article_url_pattern": r"/(\d+)\.html$",
                "enabled": False,
            }
        },
        "rules": [
            {"id": "to_lam", "name": "Tô Lâm", "query": '"Tô Lâm"'},
            {"id": "chine", "name": "Chine", "query": "Chine"},
        ],
        "subscribers": [
            {
                "email": "a@b.vn",
                "timezone": "Europe/Paris",
                "send_time": "07:00",
                "rules": ["to_lam"],
            }
        ],
        "mail": {"backend": "file", "outbox_dir": str(tmp_path / "outbox")},
        "scheduler": {
            "reload_seconds": 0.2,
            "health_minutes": 0.02,
            "lock_lease_seconds": 6,
            "shutdown_grace_seconds": 5,
        },
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def cli(
    config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one `vnawatch` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(config), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def status_json(config: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = cli(config, "status", "--json", env=env)
    assert result.returncode in (0, 1), result.stderr
    return dict(json.loads(result.stdout))


class SchedulerProcess:
    """`vnawatch run` as a child process, its stderr captured to a file."""

    def __init__(
        self,
        config: Path,
        log: Path,
        *args: str,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.log_path = log
        self._log = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "cli", "--config", str(config), "run", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = WAIT, *, count: int = 1) -> str:
        """Wait until ``text`` appears ``count`` times in the log."""

        def seen() -> bool:
            if self.process.poll() is not None and self.log.count(text) < count:
                raise AssertionError(f"process exited ({self.process.returncode}):\n{self.log}")
            return self.log.count(text) >= count

        try:
            wait_for(seen, timeout, f"{text!r} in the log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- log ---\n{self.log}") from None
        return self.log

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    def wait_exit(self, timeout: float = WAIT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout}s:\n{self.log}") from None

    def stop(self) -> None:
        """Cleanup: SIGTERM, then SIGKILL if it does not go."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
