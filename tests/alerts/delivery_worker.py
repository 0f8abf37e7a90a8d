"""A sending process for the crash test.

Usage: ``python -m tests.alerts.delivery_worker CONFIG DATABASE_URL NOW``.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime

from alerts.jobs import send_pending
from config import load_config
from store import open_store


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
