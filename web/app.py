"""The ASGI app: subscribe, preview, confirm, manage, unsubscribe, operator view.

It reads and writes through the :class:`store.Store` facade and the alerts
jobs, like the CLI; it owns no SQL. Pages are Jinja2 templates, autoescaped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from alerts.jobs import test_rule
from alerts.query import RuleError, RuleSyntaxError
from alerts.suppression import DELETION, UNSUBSCRIBE, is_suppressed, suppress
from alerts.tokens import (
    Signer,
    TokenError,
    manage_token,
    secret_key,
    unsubscribe_token,
    verify_manage_token,
    verify_unsubscribe_token,
)
from config import WEB_PASSWORD_ENV, Config, is_channel_url, redact_channel
from store import Store, describe_unreachable, is_unreachable
from store.records import Subscriber
from web.digests import digest_routes
from web.feeds import MANAGE_ACTIONS, FeedPages
from web.forms import (
    FREQUENCIES,
    WEEKDAYS,
    Choice,
    choice_from_rules,
    query_error,
    read_choice,
)
from web.labels import Labels, labels_for
from web.mail import build_link_mail, send_link_mail
from web.names import NamesPage
from web.preview import PREVIEW_DAYS, preview_body
from web.search import search_routes
from web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    OPERATOR_COOKIE,
    OPERATOR_HOURS,
    RateLimiter,
    SecurityHeadersMiddleware,
    csrf_ok,
    new_csrf_token,
)
from web.trends import trend_routes

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
HOUR = 3600.0

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class WebApp:
    """The handlers and their shared state (config, store, limits, signer)."""

    def __init__(
        self, config: Config, store: Store, *, key: bytes | None = None, clock: Clock = _utcnow
    ) -> None:
        self.config = config
        self.store = store
        self.key = key or secret_key()
        self.signer = Signer(self.key, clock=lambda: clock().timestamp())
        self.clock = clock
        self.templates = _environment()
        web = config.web
        self.per_address = RateLimiter(web.subscribe_per_address_hour, HOUR)
        self.per_ip = RateLimiter(web.subscribe_per_ip_hour, HOUR)
        self.preview_limit = RateLimiter(web.preview_per_ip_minute, 60.0)
        self.login_limit = RateLimiter(10, 15 * 60.0)
        self.feeds = FeedPages(config, store, self.key, clock, operator=self._operator)

    # --- rendering -----------------------------------------------------------

    def render(
        self,
        request: Request,
        name: str,
        labels: Labels,
        status: int = 200,
        *,
        cookie: bool = True,
        **context: Any,
    ) -> HTMLResponse:
        """A page with a CSRF token; the cookie is set when the visitor has none (and
        ``cookie``: the one-click unsubscribe answer sets none)."""
        token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        page = self.templates.get_template(f"{name}.html.j2").render(
            t=labels,
            # a page with labels of its own (web/names.py) names its language
            lang=context.pop("lang", None) or ("en" if labels is labels_for("en") else "fr"),
            csrf_field=CSRF_FIELD,
            csrf_token=token,
            path=request.url.path,
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        if cookie and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return response

    def message(
        self,
        request: Request,
        labels: Labels,
        title: str,
        body: str,
        status: int = 200,
        *,
        cookie: bool = True,
    ) -> HTMLResponse:
        return self.render(
            request,
            "message",
            labels,
            status,
            cookie=cookie,
            title=labels[title],
            body=labels[body],
        )

    def form_context(self, choice: Choice, errors: dict[str, str]) -> dict[str, Any]:
        return {
            "choice": choice,
            "errors": errors,
            "watchlists": self.config.watchlists,
            "frequencies": FREQUENCIES,
            "weekdays": WEEKDAYS,
            "max_query": self.config.web.max_query_length,
        }

    # --- subscribe -------------------------------------------------------------

    async def subscribe_page(self, request: Request) -> Response:
        labels = labels_for(request.query_params.get("lang"))
        choice = Choice(language="en" if labels is labels_for("en") else "fr")
        # "subscribe to this search" (web/search.py) arrives with its query filled in
        choice.query = request.query_params.get("q", "").strip()[: self.config.web.max_query_length]
        return self.render(request, "subscribe", labels, **self.form_context(choice, {}))

    async def subscribe(self, request: Request) -> Response:
        form = await _form(request)
        labels = labels_for(str(form.get("ui_lang") or request.query_params.get("lang")))
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
            return self.message(request, labels, "csrf_title", "csrf_body", 403)
        choice, errors = read_choice(form, self.config, labels)
        if errors:
            context = self.form_context(choice, errors)
            return self.render(request, "subscribe", labels, 400, **context)
        ip = _client_ip(request)
        # both limits count every attempt, known address or not, so they reveal nothing
        if not self.per_ip.allow(ip) or not self.per_address.allow(choice.email):
            logger.warning("subscribe rate-limited ip=%s", ip)
            return self.message(request, labels, "rate_title", "rate_body", 429)
        now = self.clock()
        if is_suppressed(self.store, choice.email, self.key):
            # the same answer as for anyone, so the page does not tell who unsubscribed
            logger.info("sign-up of a suppressed address: nothing sent")
            return self.message(request, labels, "sent_title", "sent_body")
        raw = await run_in_threadpool(self._link_mail, choice, now)
        key = f"confirm-{now:%Y%m%dT%H%M%S%f}-{hashlib.sha256(raw).hexdigest()[:12]}"
        outcome = await send_link_mail(self.config.mail, choice.email, raw, key, now)
        if outcome.status != "sent":
            logger.error("confirmation mail not sent error=%s", outcome.reply)
            return self.message(request, labels, "sent_title", "mail_failed", 503)
        return self.message(request, labels, "sent_title", "sent_body")

    def _link_mail(self, choice: Choice, now: datetime) -> bytes:
        """A confirmation link, or the manage link for an address already subscribed."""
        mail_labels = labels_for(choice.language)
        known = self.store.subscriber(choice.email)
        base = self.config.mail.public_url.rstrip("/")
        if known is not None and (known.active or known.origin == "config"):
            url = f"{base}/manage/{manage_token(known.email, self.key)}"
            subject, body = mail_labels["mail_known_subject"], mail_labels["mail_known_body"]
        else:
            url = f"{base}/confirm/{self.signer.dumps('confirm', choice.payload())}"
            subject, body = mail_labels["mail_confirm_subject"], mail_labels["mail_confirm_body"]
        hours = f"{self.config.web.confirm_hours:g}"
        return build_link_mail(
            self.config.mail, choice.email, subject, body.format(url=url, hours=hours), now
        )

    # --- preview ---------------------------------------------------------------

    async def preview(self, request: Request) -> Response:
        labels = labels_for(request.query_params.get("lang"))
        query = request.query_params.get("q", "").strip()
        if not self.preview_limit.allow(_client_ip(request)):
            return JSONResponse({"ok": False, "error": labels["rate_body"]}, status_code=429)
        if not query:
            return JSONResponse({"ok": True, "total": 0, "days": [], "hits": []})
        problem = query_error(self.config, query, labels)
        if problem:
            return JSONResponse(_query_problem(self.config, query, problem), status_code=422)
        now = self.clock()
        try:
            result = await run_in_threadpool(
                test_rule, self.store, self.config, query, now - timedelta(days=PREVIEW_DAYS)
            )
        except RuleError as exc:  # parsed above; kept for a watchlist edited meanwhile
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=422)
        language = "en" if request.query_params.get("lang") == "en" else "fr"
        return JSONResponse(preview_body(result, self.config, now, language))

    # --- confirm ---------------------------------------------------------------

    def _confirmed_choice(self, token: str) -> Choice:
        max_age = self.config.web.confirm_hours * HOUR
        return Choice.from_payload(self.signer.loads("confirm", token, max_age))

    async def confirm_page(self, request: Request) -> Response:
        labels = labels_for(request.query_params.get("lang"))
        try:
            choice = self._confirmed_choice(request.path_params["token"])
        except TokenError as exc:
            return self._bad_token(request, labels, exc)
        labels = labels_for(choice.language)
        names = [name for name, _query in choice.rules(self.config)]
        return self.render(request, "confirm", labels, choice=choice, names=names)

    async def confirm(self, request: Request) -> Response:
        form = await _form(request)
        labels = labels_for(request.query_params.get("lang"))
        try:
            choice = self._confirmed_choice(request.path_params["token"])
        except TokenError as exc:
            return self._bad_token(request, labels, exc)
        labels = labels_for(choice.language)
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
            return self.message(request, labels, "csrf_title", "csrf_body", 403)
        if is_suppressed(self.store, choice.email, self.key):
            return self.message(request, labels, "suppressed_title", "suppressed_body", 409)
        known = self.store.subscriber(choice.email)
        if known is None or known.origin != "config":
            self._save(choice, active=True)
            logger.info("web subscriber confirmed")
        return RedirectResponse(self._manage_path(choice.email, "confirmed"), status_code=303)

    def _save(self, choice: Choice, *, active: bool) -> Subscriber:
        spec = Subscriber(
            email=choice.email,
            rules=(),
            name=choice.name,
            language=choice.language,
            timezone=choice.timezone,
            frequency=choice.frequency,
            send_time=choice.send_time,
            weekday=choice.weekday,
            active=active,
            origin="web",
        )
        return self.store.save_web_subscriber(spec, choice.rules(self.config), self.clock())

    def _manage_path(self, email: str, done: str) -> str:
        # a fixed path of our own: the redirect target never comes from the request
        return f"/manage/{manage_token(email, self.key)}?done={done}"

    def _bad_token(self, request: Request, labels: Labels, exc: TokenError) -> Response:
        if exc.expired:
            return self.message(request, labels, "expired_title", "expired_body", 410)
        return self.message(request, labels, "bad_link_title", "bad_link_body", 400)

    # --- manage ----------------------------------------------------------------

    async def manage_page(self, request: Request) -> Response:
        email = verify_manage_token(request.path_params["token"], self.key)
        labels = labels_for(request.query_params.get("lang"))
        if email is None:
            return self.message(request, labels, "bad_link_title", "bad_link_body", 400)
        subscriber = self.store.subscriber(email)
        if subscriber is None:
            return self.message(request, labels, "unknown_title", "unknown_body", 404)
        labels = labels_for(subscriber.language)
        choice = self._current_choice(subscriber)
        done = request.query_params.get("done", "")
        return self._manage(request, labels, subscriber, choice, {}, done)

    def _current_choice(self, subscriber: Subscriber) -> Choice:
        rules = self.store.subscriber_rules(subscriber.email)
        entities, query = choice_from_rules([(r.name, r.query) for r in rules])
        return Choice(
            email=subscriber.email,
            name=subscriber.name,
            language=subscriber.language,
            frequency=subscriber.frequency,
            send_time=subscriber.send_time,
            timezone=subscriber.timezone,
            weekday=subscriber.weekday,
            entities=entities,
            query=query,
        )

    def _manage(
        self,
        request: Request,
        labels: Labels,
        subscriber: Subscriber,
        choice: Choice,
        errors: dict[str, str],
        done: str,
        status: int = 200,
    ) -> HTMLResponse:
        rules = self.store.subscriber_rules(subscriber.email)
        names = {rule.id: rule.name for rule in self.config.rules}
        return self.render(
            request,
            "manage",
            labels,
            status,
            subscriber=subscriber,
            rule_names=[names.get(r.rule_id, r.name) for r in rules],
            rule_states=[(r.rule_id, names.get(r.rule_id, r.name), r.paused) for r in rules],
            feed_links=self.feeds.links(subscriber),
            done=done if done in ("confirmed", "saved", "feed_renewed") else "",
            token=request.path_params["token"],
            unsubscribe=unsubscribe_token(subscriber.email, self.key),
            channels=[redact_channel(url) for url in subscriber.channels],
            **self.form_context(choice, errors),
        )

    async def manage(self, request: Request) -> Response:
        form = await _form(request)
        email = verify_manage_token(request.path_params["token"], self.key)
        labels = labels_for(None)
        if email is None:
            return self.message(request, labels, "bad_link_title", "bad_link_body", 400)
        subscriber = self.store.subscriber(email)
        if subscriber is None:
            return self.message(request, labels, "unknown_title", "unknown_body", 404)
        labels = labels_for(subscriber.language)
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
            return self.message(request, labels, "csrf_title", "csrf_body", 403)
        action = str(form.get("action", "save"))
        if action == "delete":
            # on the list first: a crash in between leaves the address suppressed, not back
            suppress(self.store, email, DELETION, self.clock(), self.key)
            self.store.delete_subscriber(email)
            logger.info("web subscriber deleted their data")
            return self.message(request, labels, "deleted_title", "deleted_body")
        if action in MANAGE_ACTIONS:  # feed link and per-rule pause: web/feeds.py
            done = self.feeds.manage_action(subscriber, action, form)
            return RedirectResponse(self._manage_path(email, done), status_code=303)
        if subscriber.origin == "config":  # config.yaml owns these; only unsubscribe applies
            return self._manage(
                request, labels, subscriber, self._current_choice(subscriber), {}, ""
            )
        if action != "pause" and is_suppressed(self.store, email, self.key):
            return self.message(request, labels, "suppressed_title", "suppressed_body", 409)
        if action == "channels":
            return self._save_channels(request, labels, subscriber, form)
        if action == "spikes":  # spike alerts (alerts.spiking) on or off
            self.store.set_spike_alerts(email, bool(form.get("spike_alerts")))
            return RedirectResponse(self._manage_path(email, "saved"), status_code=303)
        if action in ("pause", "resume"):
            self.store.set_subscriber_active(email, action == "resume")
            return RedirectResponse(self._manage_path(email, "saved"), status_code=303)
        choice, errors = read_choice(form, self.config, labels, with_email=False)
        choice.email = email
        if errors:
            return self._manage(request, labels, subscriber, choice, errors, "", 400)
        self._save(choice, active=subscriber.active)
        return RedirectResponse(self._manage_path(email, "saved"), status_code=303)

    def _save_channels(
        self, request: Request, labels: Labels, subscriber: Subscriber, form: dict[str, Any]
    ) -> Response:
        """Add a channel (Apprise must know it), remove the ticked ones, choose email."""
        new = str(form.get("channel", "")).strip()
        if new and not is_channel_url(new):
            errors = {"channel": labels["channel_invalid"]}
            choice = self._current_choice(subscriber)
            return self._manage(request, labels, subscriber, choice, errors, "", 400)
        removed = set(form.get("remove", []))
        kept = [url for url in subscriber.channels if redact_channel(url) not in removed]
        self.store.set_channels(
            subscriber.email,
            [*kept, new] if new else kept,
            email_delivery=bool(form.get("email_delivery")),
        )
        logger.info("web subscriber channels saved count=%d", len(kept) + bool(new))
        return RedirectResponse(self._manage_path(subscriber.email, "saved"), status_code=303)

    # --- unsubscribe -------------------------------------------------------------

    async def unsubscribe_page(self, request: Request) -> Response:
        email = verify_unsubscribe_token(request.path_params["token"], self.key)
        subscriber = self.store.subscriber(email) if email else None
        labels = labels_for(subscriber.language if subscriber else None)
        if email is None:
            return self.message(request, labels, "bad_link_title", "bad_link_body", 400)
        return self.render(request, "unsubscribe", labels, email=email)

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058 one-click: the signed URL is the authority; no cookie, no redirect, 200."""
        email = verify_unsubscribe_token(request.path_params["token"], self.key)
        if email is None:
            labels = labels_for(None)
            return self.message(
                request, labels, "bad_link_title", "bad_link_body", 400, cookie=False
            )
        subscriber = self.store.subscriber(email)
        suppress(self.store, email, UNSUBSCRIBE, self.clock(), self.key)
        self.store.unsubscribe(email, self.clock())
        logger.info("unsubscribed known=%s", subscriber is not None)
        labels = labels_for(subscriber.language if subscriber else None)
        return self.message(
            request, labels, "unsubscribed_title", "unsubscribed_body", cookie=False
        )

    # --- operator --------------------------------------------------------------

    def _operator(self, request: Request) -> str | None:
        cookie = request.cookies.get(OPERATOR_COOKIE)
        if not cookie:
            return None
        try:
            user = self.signer.loads("operator", cookie, OPERATOR_HOURS * HOUR)
        except TokenError:
            return None
        return str(user) if user == self.config.web.operator_user else None

    async def operator(self, request: Request) -> Response:
        labels = labels_for(request.query_params.get("lang"))
        if self._operator(request) is None:
            return self._login(request, labels, "")
        try:
            context = self._operator_context()
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            # said plainly rather than as a bare 500; `vnawatch run` logs the outage once
            body = labels["database_down_body"].format(cause=describe_unreachable(exc))
            title = labels["database_down_title"]
            return self.render(request, "message", labels, 503, title=title, body=body)
        return self.render(request, "operator", labels, **context)

    def _login(self, request: Request, labels: Labels, error: str, status: int = 200) -> Response:
        enabled = bool(os.environ.get(WEB_PASSWORD_ENV))
        return self.render(request, "login", labels, status, error=error, enabled=enabled)

    def _operator_context(self) -> dict[str, Any]:
        from service.health import collect_status
        from service.outage import duration

        subscribers = self.store.subscribers(active_only=False)
        names = {rule.id: rule.name for rule in self.config.rules}
        rules = {
            s.email: [
                (names.get(r.rule_id, r.name), r.query)
                for r in self.store.subscriber_rules(s.email)
            ]
            for s in subscribers
        }
        deliveries = list(reversed(self.store.deliveries()))[:100]
        report = collect_status(self.store, self.config, now=self.clock())
        return {
            "subscribers": subscribers,
            "rules": rules,
            "deliveries": deliveries,
            # the channel URL is a secret: the view gets its redacted form only
            "channel_labels": {
                d.id: "email" if d.is_email else redact_channel(d.channel) for d in deliveries
            },
            "sources": report.sources,
            "outage": report.database.last_outage if report.database else None,
            "duration": duration,
            "rule_feeds": [(rule.id, rule.name) for rule in self.config.rules],
        }

    async def login(self, request: Request) -> Response:
        form = await _form(request)
        labels = labels_for(request.query_params.get("lang"))
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
            return self.message(request, labels, "csrf_title", "csrf_body", 403)
        if not self.login_limit.allow(_client_ip(request)):
            return self.message(request, labels, "rate_title", "rate_body", 429)
        password = os.environ.get(WEB_PASSWORD_ENV) or ""
        user_ok = _same(str(form.get("user", "")), self.config.web.operator_user)
        password_ok = bool(password) and _same(str(form.get("password", "")), password)
        if not (user_ok and password_ok):
            logger.warning("operator login refused ip=%s", _client_ip(request))
            return self._login(request, labels, labels["login_failed"], 401)
        response = RedirectResponse("/operator", status_code=303)
        response.set_cookie(
            OPERATOR_COOKIE,
            self.signer.dumps("operator", self.config.web.operator_user),
            max_age=int(OPERATOR_HOURS * HOUR),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        form = await _form(request)
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
            return self.message(request, labels_for(None), "csrf_title", "csrf_body", 403)
        response = RedirectResponse("/operator", status_code=303)
        response.delete_cookie(OPERATOR_COOKIE)
        return response


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of two strings of any length."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


async def _form(request: Request) -> dict[str, Any]:
    """Form fields; ``entities`` and ``remove`` (channels) keep all their values."""
    form = await request.form()
    data: dict[str, Any] = {key: value for key, value in form.items() if isinstance(value, str)}
    for name in ("entities", "remove"):
        data[name] = [v for v in form.getlist(name) if isinstance(v, str)]
    return data


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _query_problem(config: Config, query: str, problem: str) -> dict[str, Any]:
    """A parse error with its position, for the preview to point at."""
    body: dict[str, Any] = {"ok": False, "error": problem}
    from alerts.query import parse_rule

    try:
        parse_rule("web_query", query, config.watchlists)
    except RuleSyntaxError as exc:
        body.update(line=exc.line, column=exc.column)
    except RuleError:
        pass
    return body


def create_app(
    config: Config, store: Store, *, key: bytes | None = None, clock: Clock = _utcnow
) -> Starlette:
    """The Starlette app serving ``config``'s subscription pages over ``store``."""
    web = WebApp(config, store, key=key, clock=clock)
    routes = [
        Route("/", web.subscribe_page, methods=["GET"]),
        Route("/subscribe", web.subscribe, methods=["POST"]),
        Route("/api/preview", web.preview, methods=["GET"]),
        Route("/confirm/{token}", web.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", web.confirm, methods=["POST"]),
        Route("/manage/{token}", web.manage_page, methods=["GET"]),
        Route("/manage/{token}", web.manage, methods=["POST"]),
        Route("/unsubscribe/{token}", web.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", web.unsubscribe, methods=["POST"]),
        Route("/operator", web.operator, methods=["GET"]),
        Route("/operator/login", web.login, methods=["POST"]),
        Route("/operator/logout", web.logout, methods=["POST"]),
        *web.feeds.routes(),
        *NamesPage(
            config, store, operator=web._operator, login=web._login, render=web.render, clock=clock
        ).routes(),
        *digest_routes(config, store, web.key, web.templates),
        *search_routes(config, store, web.templates),
        *trend_routes(
            config,
            store,
            web.templates,
            is_operator=lambda request: web._operator(request) is not None,
            clock=clock,
        ),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = _HeadedStarlette(routes=routes)
    app.hsts = config.mail.public_url.startswith("https://")
    app.state.web = web
    return app


class _HeadedStarlette(Starlette):
    """Starlette with the security headers outermost, around its error handler too.

    ``Starlette(middleware=...)`` puts user middleware inside
    ``ServerErrorMiddleware``, so a 500 page would go out without the headers.
    """

    hsts = False

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=self.hsts)
