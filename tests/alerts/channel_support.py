"""A real webhook endpoint for the channel tests: a threaded HTTP server on 127.0.0.1.

It records every request Apprise's ``json://`` and ``form://`` schemes make,
answers with scripted statuses, and can hold a request until released (so a
test can kill the sender while the endpoint has the request).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Received:
    """One request as the endpoint saw it."""

    path: str
    content_type: str
    body: bytes

    def fields(self) -> dict[str, Any]:
        """The JSON object or the form fields of the body."""
        if self.content_type.startswith("application/json"):
            return dict(json.loads(self.body))
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class Endpoint:
    """What the server does: ``statuses`` answered in order (then 200), ``hold`` blocks."""

    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
        self.arrived.set()
        if self.hold is not None:
            self.hold.wait(timeout=60)
        return status

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                path=self.path,
                content_type=self.headers.get("Content-Type", ""),
                body=self.rfile.read(length),
            )
            status = endpoint.answer(request)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # the test reads the recorded requests instead

    return Handler


@contextmanager
def serve(endpoint: Endpoint, port: int = 0) -> Iterator[int]:
    """Run ``endpoint`` on 127.0.0.1 (``port`` 0: any free one); yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(endpoint))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        if endpoint.hold is not None:
            endpoint.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
