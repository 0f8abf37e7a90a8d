"""The web page of one digest or alert: the batch's window and its articles.

``GET /digest/{token}``: the token is signed by :mod:`alerts.tokens` (purpose
``digest``) over the subscriber's address and the batch's outbox key
(``DeliveryDraft.key``); chat and webhook messages link here, since they carry
only a summary. The page lists exactly the articles the batch's ledger holds,
each as a feed entry (:func:`alerts.feed.build_feed`): title linked to the
article, outlet, time in the subscriber's zone, snippet with the hits marked,
the rules that fired. It is in the subscriber's language.

A forged or altered token, another purpose's token, an unknown batch, and a
subscriber who is not active (paused, unsubscribed, out of config.yaml), is
suppressed or was deleted all get the same bare 404 as the feeds' refusals:
the answer tells nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from alerts.feed import FeedEntry, FeedLinks, build_feed
from alerts.labels import Formatter, Window
from alerts.suppression import is_suppressed
from alerts.tokens import verify_digest_token
from web.feeds import CACHE_CONTROL, not_found
from web.labels import Labels, labels_for

if TYPE_CHECKING:
    from jinja2 import Environment

    from config import Config
    from store import Store
    from store.records import DigestBatch, Subscriber

DIGEST_LABELS: dict[str, Labels] = {
    "fr": {"digest_empty": "Aucun article dans cet envoi."},
    "en": {"digest_empty": "No article in this batch."},
}


class DigestPages:
    """The digest page handler over the store, signed with ``key``."""

    def __init__(self, config: Config, store: Store, key: bytes, templates: Environment) -> None:
        self.config = config
        self.store = store
        self.key = key
        self.templates = templates

    def routes(self) -> list[Route]:
        return [Route("/digest/{token}", self.digest_page, methods=["GET"])]

    async def digest_page(self, request: Request) -> Response:
        found = verify_digest_token(request.path_params["token"], self.key)
        if found is None:
            return not_found()
        email, batch_key = found
        loaded = await run_in_threadpool(self._load, email, batch_key)
        if loaded is None:
            return not_found()
        subscriber, batch = loaded
        return self._render(request, subscriber, batch)

    def _load(self, email: str, batch_key: str) -> tuple[Subscriber, DigestBatch] | None:
        """The subscriber and the batch, or None when either may not be shown."""
        subscriber = self.store.subscriber(email)
        if subscriber is None or subscriber.id is None or not subscriber.active:
            return None
        if is_suppressed(self.store, subscriber.email, self.key):
            return None
        batch = self.store.digest_batch(subscriber.id, batch_key)
        return None if batch is None else (subscriber, batch)

    def _render(self, request: Request, subscriber: Subscriber, batch: DigestBatch) -> Response:
        language = "en" if subscriber.language == "en" else "fr"
        fmt = Formatter(language, subscriber.timezone)
        entries = self._entries(subscriber, batch, language)
        page = self.templates.get_template("digest.html.j2").render(
            t={**labels_for(language), **DIGEST_LABELS[language]},
            lang=language,
            path=request.url.path,
            heading=_heading(batch, fmt, len(entries)),
            window=_window(batch, fmt, subscriber.timezone),
            entries=entries,
        )
        headers = {"Cache-Control": CACHE_CONTROL, "X-Robots-Tag": "noindex"}
        return HTMLResponse(page, headers=headers)

    def _entries(
        self, subscriber: Subscriber, batch: DigestBatch, language: str
    ) -> tuple[FeedEntry, ...]:
        """The batch's articles as feed entries, each with the subscriber's rules that fired."""
        names = {rule.id: rule.name for rule in self.config.rules}
        stored = self.store.subscriber_rules(subscriber.email)
        rules = [(r.rule_id, names.get(r.rule_id) or r.name or r.rule_id) for r in stored]
        public = self.config.mail.public_url  # the feed's own links are not shown here
        feed = build_feed(
            batch.items,
            self.config,
            rules=rules,
            name=subscriber.name,
            language=language,
            timezone=subscriber.timezone,
            links=FeedLinks(feed_id="", atom_url=public, json_url=public, home_url=public),
            empty_updated=batch.created_at,
        )
        return feed.entries


def _heading(batch: DigestBatch, fmt: Formatter, count: int) -> str:
    """ "Alerte — 2 articles", or "3 articles"."""
    if batch.kind == "alert":
        return f"{fmt.labels['alert']} — {fmt.count(count)}"
    return fmt.count(count)


def _window(batch: DigestBatch, fmt: Formatter, timezone: str) -> str:
    """The digest's publication window in the reader's words; "" for an alert."""
    start: datetime | None = batch.window_start
    end: datetime | None = batch.window_end
    if start is None or end is None:
        return ""
    return fmt.window(Window(start, end, timezone))


def digest_routes(config: Config, store: Store, key: bytes, templates: Environment) -> list[Route]:
    """The digest page's route, for :func:`web.app.create_app`."""
    return DigestPages(config, store, key, templates).routes()
