"""A TCP proxy on 127.0.0.1 that a test can cut: the database "goes away" for real.

``CutProxy`` forwards every connection to an upstream server (PostgreSQL)
from an asyncio loop on its own thread. ``cut()`` closes every forwarded
connection at once and, until ``restore()``, drops each new one as soon as
it is accepted: the client sees its connection reset and its connects fail,
as when the database host goes down.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType

from sqlalchemy.engine import make_url


def postgres_proxy() -> CutProxy:
    """A proxy in front of the test PostgreSQL server (start it with ``with``)."""
    from tests.conftest import POSTGRES_URL

    upstream = make_url(POSTGRES_URL)
    return CutProxy(upstream.host or "127.0.0.1", upstream.port or 5432)


def through(proxy: CutProxy, url: str) -> str:
    """``url`` (its schema option kept) pointed at the proxy instead of the server."""
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


class CutProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; ``cut()`` / ``restore()`` switch it."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.dropped = 0  # connections refused while cut
        self._cut = False
        self._open: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> CutProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            self._call(self._server.wait_closed())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def cut(self) -> None:
        """Close every forwarded connection; drop new ones until :meth:`restore`."""
        self._call(self._set_cut(True))

    def restore(self) -> None:
        self._call(self._set_cut(False))

    def _call(self, coroutine):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _set_cut(self, cut: bool) -> None:
        self._cut = cut
        if cut:
            for writer in list(self._open):
                _abort(writer)
            self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.dropped += 1
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            _abort(writer)
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._open -= {writer, up_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until either side closes, then close the other."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    _abort(writer)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once with a reset (SO_LINGER 0 via abort), like a host that went away."""
    writer.transport.abort()
