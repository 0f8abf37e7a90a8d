"""Feed pages: each subscriber's Atom and JSON feeds, the operators' per-rule feeds,
and the manage page's feed links and per-rule pause buttons.

A subscriber's feed URL carries a token signed by :mod:`alerts.tokens` (purpose
``feed``) over its address and its feed nonce. "New feed link" stores a new
nonce, so every older link answers 404, like a forged or altered one; so does
the feed of a subscriber who is paused, unsubscribed, removed from config.yaml
or deleted. Operators read one rule's feed from the operator view (login) or
through a signed link (purpose ``rule-feed``) that `vnawatch feed-url --rule`
prints and ``--renew`` revokes.

Answers carry an ETag (hash of the body), Last-Modified (the newest entry) and
``Cache-Control: private`` (the URL is a secret), and a conditional GET that
matches gets 304 without a body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts.feed import (
    ATOM_TYPE,
    JSON_TYPE,
    Feed,
    FeedLinks,
    build_feed,
    render_atom,
    render_json,
    rule_feed_url,
    tag_authority,
)
from alerts.labels import LABELS
from alerts.mailer import feed_url
from alerts.tokens import verify_feed_token, verify_rule_feed_token
from config import Config
from store import Store
from store.records import Subscriber

KINDS: Mapping[str, tuple[Callable[[Feed], str], str]] = {
    "atom.xml": (render_atom, ATOM_TYPE),
    "feed.json": (render_json, JSON_TYPE),
}
# a reader polls often; five minutes of reuse is fresh enough for news alerts
CACHE_CONTROL = "private, max-age=300"
# dates an empty feed, so that its Last-Modified stays put until a first entry
EMPTY_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
MANAGE_ACTIONS = frozenset({"new_feed_link", "pause_rule", "resume_rule"})


class FeedPages:
    """The feed handlers; ``operator`` tells the logged-in operator of a request."""

    def __init__(
        self,
        config: Config,
        store: Store,
        key: bytes,
        clock: Callable[[], datetime],
        *,
        operator: Callable[[Request], str | None],
    ) -> None:
        self.config = config
        self.store = store
        self.key = key
        self.clock = clock
        self.operator = operator

    def routes(self) -> list[Route]:
        return [
            Route("/feed/rule/{token}/{kind}", self.rule_feed, methods=["GET"]),
            Route("/feed/{token}/{kind}", self.subscriber_feed, methods=["GET"]),
            Route("/operator/feed/{rule_id}/{kind}", self.operator_feed, methods=["GET"]),
        ]

    # --- subscribers -------------------------------------------------------------

    def links(self, subscriber: Subscriber) -> dict[str, str]:
        """The subscriber's feed URLs by kind (atom.xml, feed.json)."""
        mail = self.config.mail
        return {
            kind: feed_url(mail, subscriber.email, subscriber.feed_nonce, self.key, kind)
            for kind in KINDS
        }

    async def subscriber_feed(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        found = verify_feed_token(request.path_params["token"], self.key)
        if kind not in KINDS or found is None:
            return not_found()
        email, nonce = found
        subscriber = await run_in_threadpool(self.store.subscriber, email)
        if (
            subscriber is None
            or subscriber.id is None
            or not subscriber.active
            or not hmac.compare_digest(subscriber.feed_nonce.encode(), nonce.encode())
        ):
            return not_found()
        items = await run_in_threadpool(self.store.subscriber_feed, subscriber.id)
        rules = await run_in_threadpool(self._subscriber_rules, subscriber)
        labels = LABELS.get(subscriber.language, LABELS["fr"])
        links = self.links(subscriber)
        feed = build_feed(
            items,
            self.config,
            rules=rules,
            name=subscriber.name or labels["feed_mine"],
            language=subscriber.language,
            timezone=subscriber.timezone,
            links=self._feed_links(f"subscriber:{subscriber.id}", links),
            empty_updated=EMPTY_SINCE,
        )
        return answer(request, feed, kind)

    def _subscriber_rules(self, subscriber: Subscriber) -> list[tuple[str, str]]:
        """(id, name) of the subscriber's live rules: config.yaml's in its order, then
        their own web rules (names from the store: no query is parsed per request)."""
        live = set(subscriber.rules)
        pairs = [(rule.id, rule.name) for rule in self.config.rules if rule.id in live]
        known = {rule_id for rule_id, _ in pairs}
        stored = self.store.subscriber_rules(subscriber.email)
        return pairs + [(r.rule_id, r.name) for r in stored if r.rule_id in live - known]

    def manage_action(self, subscriber: Subscriber, action: str, form: Mapping[str, Any]) -> str:
        """Apply a feed or pause button of the manage page; the notice to show, or ""."""
        if action == "new_feed_link":
            self.store.renew_feed_nonce(subscriber.email)
            return "feed_renewed"
        if subscriber.origin == "config":  # config.yaml's paused_rules decide for these
            return ""
        rule_id = str(form.get("rule", ""))
        paused = action == "pause_rule"
        changed = self.store.set_rule_paused(subscriber.email, rule_id, paused, self.clock())
        return "saved" if changed else ""

    # --- operators ---------------------------------------------------------------

    def rule_links(self, rule_id: str, *, renew: bool = False) -> dict[str, str]:
        """Signed feed URLs of one rule by kind; ``renew`` revokes the earlier ones."""
        nonce = self.store.rule_feed_nonce(rule_id, self.clock(), renew=renew)
        public = self.config.mail.public_url
        return {kind: rule_feed_url(public, rule_id, nonce, self.key, kind) for kind in KINDS}

    async def rule_feed(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        found = verify_rule_feed_token(request.path_params["token"], self.key)
        if kind not in KINDS or found is None:
            return not_found()
        rule_id, nonce = found
        current = await run_in_threadpool(self.store.rule_feed_nonce, rule_id, self.clock())
        if not hmac.compare_digest(current.encode(), nonce.encode()):
            return not_found()
        urls = await run_in_threadpool(self.rule_links, rule_id)
        return await self._rule_answer(request, rule_id, kind, urls)

    async def operator_feed(self, request: Request) -> Response:
        if self.operator(request) is None:
            return RedirectResponse("/operator", status_code=303)
        rule_id, kind = request.path_params["rule_id"], request.path_params["kind"]
        if kind not in KINDS:
            return not_found()
        base = f"{self.config.mail.public_url.rstrip('/')}/operator/feed/{rule_id}"
        return await self._rule_answer(request, rule_id, kind, {k: f"{base}/{k}" for k in KINDS})

    async def _rule_answer(
        self, request: Request, rule_id: str, kind: str, urls: dict[str, str]
    ) -> Response:
        name = await run_in_threadpool(self._rule_name, rule_id)
        if name is None:
            return not_found()
        items = await run_in_threadpool(self.store.rule_feed, rule_id)
        language = "en" if request.query_params.get("lang") == "en" else "fr"
        feed = build_feed(
            items,
            self.config,
            rules=[(rule_id, name)],
            name=name,
            language=language,
            timezone=self.config.timezone,
            links=self._feed_links(f"rule:{rule_id}", urls),
            empty_updated=EMPTY_SINCE,
        )
        return answer(request, feed, kind)

    def _rule_name(self, rule_id: str) -> str | None:
        """A config.yaml rule's name, else a web subscriber's stored rule's, else None."""
        for rule in self.config.rules:
            if rule.id == rule_id:
                return rule.name
        return next((r.name for r in self.store.stored_rules() if r.rule_id == rule_id), None)

    # --- shared ------------------------------------------------------------------

    def _feed_links(self, what: str, urls: dict[str, str]) -> FeedLinks:
        authority = tag_authority(self.config.mail.public_url)
        return FeedLinks(
            feed_id=f"tag:{authority},2026:feed:{what}",
            atom_url=urls["atom.xml"],
            json_url=urls["feed.json"],
            home_url=self.config.mail.public_url,
        )


def answer(request: Request, feed: Feed, kind: str) -> Response:
    """The rendered feed with its validators and cache headers, or 304 when they match."""
    render, media_type = KINDS[kind]
    body = render(feed).encode("utf-8")
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    modified = feed.updated.astimezone(UTC).replace(microsecond=0)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "X-Robots-Tag": "noindex",
    }
    if is_not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def is_not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present, else If-Modified-Since."""
    given = request.headers.get("if-none-match")
    if given is not None:
        tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return modified <= when


def not_found() -> Response:
    """The same bare 404 for a forged, altered, revoked or unknown link: it tells nothing."""
    return Response("Not Found", status_code=404, media_type="text/plain")
