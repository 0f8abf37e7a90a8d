"""A static HTTP server for a local copy of the outlets (demo, tests, benchmarks).

Serves one directory on 127.0.0.1 (port 0 = any free port) with the headers a
crawler cares about: ``.vnp``/``.amp``/``.html`` as UTF-8 HTML, ``.rss``/``.xml``
as XML, an ``ETag`` and a ``Last-Modified`` on every file, and ``304 Not
Modified`` for a matching ``If-None-Match`` / ``If-Modified-Since``.

Fault hooks for tests, read on every request so a test can change them while
the server runs: ``_faults.json`` at the served root maps a URL path to one
fault, and the same keys may be given as query parameters (``?_status=500``)::

    {"/feed.rss": {"status": 500},
     "/a/1.html": {"status": 429, "retry_after": 1, "times": 1},
     "/slow.html": {"delay": 5},
     "/gone.html": {"drop": true},
     "/moved.html": {"redirect": "http://other.example/"},
     "/latin1.html": {"content_type": "text/html; charset=iso-8859-1"},
     "/cut.html": {"truncate": true},
     "/packed.xml": {"headers": {"Content-Encoding": "gzip"}}}

``truncate`` announces the file's full ``Content-Length`` but sends half of it
and closes the connection; ``headers`` adds response headers to the file.

``times`` limits a fault to the first N requests of that path. ``_aliases.json``
maps a URL path to another one whose file is served under it (200, no
redirect), the way VietnamPlus serves one article under two URL forms. With
``--request-log`` (``request_log=True``) every requested path is appended to
``_requests.log`` at the served root, so a test can count what was fetched,
and its User-Agent to ``_user_agents.log``.

Use: ``python -m demo.localsite DIR [--port N]`` prints the URL on stdout;
in-process, ``with serve_directory(path) as url: ...``.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

FAULTS_FILE = "_faults.json"
ALIASES_FILE = "_aliases.json"
REQUEST_LOG = "_requests.log"
AGENT_LOG = "_user_agents.log"
CONTENT_TYPES = {
    ".vnp": "text/html; charset=utf-8",
    ".amp": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with validators, conditional GET and the test fault hooks."""

    server: SiteServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs cap a keep-alive client at ~25 req/s

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("localsite %s", format % args)

    def do_GET(self) -> None:
        self._record()
        fault = self._fault()
        if self._apply_fault(fault):
            return
        path = Path(self.translate_path(self._aliased(self.path)))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "no such page")
            return
        self._send_file(path, fault)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _record(self) -> None:
        if not self.server.request_log:
            return
        with self.server.lock, (self.server.root / REQUEST_LOG).open("a") as log:
            log.write(urlsplit(self.path).path + "\n")
        with self.server.lock, (self.server.root / AGENT_LOG).open("a") as log:
            log.write(self.headers.get("User-Agent", "") + "\n")

    def _aliased(self, url_path: str) -> str:
        aliases = _read_json(self.server.root / ALIASES_FILE)
        return str(aliases.get(urlsplit(url_path).path, url_path))

    def _fault(self) -> dict[str, Any]:
        parts = urlsplit(self.path)
        query = {k.removeprefix("_"): v[0] for k, v in parse_qs(parts.query).items()}
        fault: dict[str, Any] = {k: query[k] for k in ("status", "delay", "drop") if k in query}
        fault.update(_read_json(self.server.root / FAULTS_FILE).get(parts.path, {}))
        if fault and "times" in fault:
            with self.server.lock:
                self.server.hits[parts.path] += 1
                if self.server.hits[parts.path] > int(fault["times"]):
                    return {}
        return fault

    def _apply_fault(self, fault: dict[str, Any]) -> bool:
        """Act out the configured fault; True when the response has been handled."""
        if not fault:
            return False
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if fault.get("drop"):
            self.close_connection = True
            self.connection.close()
            return True
        if fault.get("redirect"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", str(fault["redirect"]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if fault.get("status"):
            self._send_status(int(fault["status"]), fault.get("retry_after"))
            return True
        return False

    def _send_status(self, status: int, retry_after: Any) -> None:
        body = f"<html><body>status {status}</body></html>".encode()
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_file(self, path: Path, fault: dict[str, Any]) -> None:
        data = path.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        modified = email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)
        if self._not_modified(etag, path.stat().st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", fault.get("content_type") or _content_type(path))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        for name, value in fault.get("headers", {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault.get("truncate"):
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.wfile.write(data)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            parsed = email.utils.parsedate_to_datetime(since)
            return parsed is not None and int(mtime) <= parsed.timestamp()
        return False


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when absent or invalid (logged)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        logger.warning("localsite: %s is not valid JSON; ignored", path.name)
        return {}
    return data if isinstance(data, dict) else {}


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server over one directory, with per-path fault counters."""

    daemon_threads = True

    def __init__(self, root: Path, port: int = 0, *, request_log: bool = False) -> None:
        self.root = root.resolve()
        self.request_log = request_log
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        super().__init__(("127.0.0.1", port), self._handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed crawl) is one debug line."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("localsite: client %s went away", client_address)
            return
        super().handle_error(request, client_address)

    def _handler(self, request: Any, address: Any, server: Any) -> SiteHandler:
        return SiteHandler(request, address, server, directory=str(self.root))

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def serve_directory(path: str | Path, port: int = 0, *, request_log: bool = False) -> Iterator[str]:
    """Serve ``path`` in a background thread; yields the base URL (no trailing slash)."""
    server = SiteServer(Path(path), port, request_log=request_log)
    thread = threading.Thread(target=server.serve_forever, name="localsite", daemon=True)
    thread.start()
    logger.info("localsite serving dir=%s url=%s", path, server.url)
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """Serve a directory until killed; the first stdout line is the URL."""
    parser = argparse.ArgumentParser(description="serve a directory on 127.0.0.1")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--request-log", action="store_true", help=f"append paths to {REQUEST_LOG}")
    args = parser.parse_args(argv)
    server = SiteServer(args.directory, args.port, request_log=args.request_log)
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
