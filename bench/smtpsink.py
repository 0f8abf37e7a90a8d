"""A local SMTP server for the bench: accepts everything, counts messages per recipient.

    python bench/smtpsink.py PORT     # prints "messages=N recipients=M duplicates=D" on SIGTERM

It runs in its own process so it does not share the client's interpreter lock.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller


class CountingHandler:
    """Accepts every message and counts it per recipient (the bench's no-duplicate check)."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            self.received[recipient] += 1
        return "250 2.0.0 accepted"


def main() -> int:
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.start()
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    duplicates = sum(count - 1 for count in handler.received.values() if count > 1)
    print(
        f"messages={sum(handler.received.values())} recipients={len(handler.received)} "
        f"duplicates={duplicates}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
