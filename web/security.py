"""CSRF, rate limits and security headers for the web app.

Tokens (links, the operator session) are signed by :mod:`alerts.tokens`, the
one signer the mailer uses too. :class:`SecurityHeadersMiddleware` wraps the
whole app, error handler included, so every answer carries the headers.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "vnawatch_csrf"
CSRF_FIELD = "csrf_token"
OPERATOR_COOKIE = "vnawatch_operator"
OPERATOR_HOURS = 8
SWEEP_AT = 10_000  # keys held before the limiter forgets the quiet ones

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form field equals the (SameSite=Strict) cookie."""
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


class RateLimiter:
    """At most ``limit`` events per key in a sliding ``window`` of seconds (in memory).

    One web process serves the app, so memory is where the counts live; a
    restart forgets them, which errs on the side of letting people subscribe.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an event for ``key``; False when it is over the limit (not recorded)."""
        now = self.clock()
        with self._lock:
            if len(self._events) > SWEEP_AT:
                self._sweep(now)
            events = self._events.setdefault(key, deque())
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def _sweep(self, now: float) -> None:
        """Forget keys with no event inside the window, so memory stays bounded."""
        stale = [
            key
            for key, events in self._events.items()
            if not events or now - events[-1] >= self.window
        ]
        for key in stale:
            del self._events[key]


class SecurityHeadersMiddleware:
    """CSP, frame, sniffing, referrer (links carry tokens) and cache headers on every answer."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.headers)
                # static files may be cached, and answers that say how (the feeds);
                # nothing else, errors included
                chosen = any(name.lower() == b"cache-control" for name, _ in headers)
                if message["status"] >= 400 or not (static or chosen):
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
