"""A sending process for the crash test.

Usage: ``python -m tests.alerts.delivery_worker CONFIG DATABASE_URL NOW``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from alerts.jobs import send_pending
from config import load_config
from store import open_store


def start(config_file: Path, database_url: str, now: datetime) -> subprocess.Popen[bytes]:
    """This module as a child process sending the outbox at ``now`` (stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", __name__, str(config_file), database_url, now.isoformat()],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def main(argv: list[str]) -> int:
    config_path, database_url, now = argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    store = open_store(database_url)
    try:
        report = send_pending(store, load_config(config_path), now=datetime.fromisoformat(now))
    finally:
        store.close()
    sys.stderr.write(f"{report}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
