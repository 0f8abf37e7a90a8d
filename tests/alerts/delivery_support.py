"""Builders and a recording SMTP server shared by the delivery tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from config import Config, parse_config
from store import Store
from store.records import Article, Match, Snippet, Span

HANOI = timezone(timedelta(hours=7))

CONFIG_YAML = """
sources:
  vietnamplus:
    name: VietnamPlus
    base_url: https://fr.vietnamplus.vn
    credit: VNA
    article_url_pattern: '-post(\\d+)\\.vnp$'
  lecourrier:
    name: Le Courrier du Vietnam
    base_url: https://lecourrier.vn
    credit: VNA/CVN
    article_url_pattern: '/(\\d+)\\.html$'
rules:
  - {id: to_lam, name: Tô Lâm, query: '"Tô Lâm"'}
  - {id: mer_orientale, name: Mer Orientale, query: '"mer Orientale"'}
  - {id: chine, name: Chine, query: Chine}
subscribers:
  - email: analyste@example.org
    name: Analyste
    rules: [to_lam, mer_orientale, chine]
mail:
  backend: file
  outbox_dir: OUTBOX
  from_address: veille@vnawatch.example
  from_name: Veille VNA
  public_url: https://veille.example.org
"""


def make_config(tmp_path: Path, subscribers: str | None = None, **mail: Any) -> Config:
    """The test config; ``subscribers`` replaces the subscriber list (YAML), ``mail`` sets keys."""
    return parse_config(config_text(tmp_path, subscribers, **mail), tmp_path / "config.yaml")


def config_text(tmp_path: Path, subscribers: str | None = None, **mail: Any) -> str:
    """The YAML of :func:`make_config`, for a child process to load."""
    text = CONFIG_YAML.replace("OUTBOX", str(tmp_path / "outbox"))
    if subscribers is not None:
        head, _, tail = text.partition("subscribers:\n")
        text = head + "subscribers:\n" + subscribers + "\nmail:\n" + tail.partition("mail:\n")[2]
    head, _, section = text.partition("mail:\n")
    lines = [line for line in section.splitlines() if line.split(":")[0].strip() not in mail]
    lines += [f"  {key}: {value}" for key, value in mail.items()]
    return head + "mail:\n" + "\n".join(lines) + "\n"


def article(article_id: str, published_at: datetime, **changes: Any) -> Article:
    base = Article(
        source="vietnamplus",
        article_id=article_id,
        url=f"https://fr.vietnamplus.vn/article-post{article_id}.vnp",
        title=f"Article {article_id} : Tô Lâm reçoit une délégation",
        summary="Chapô.",
        body=f"Hanoï (VNA) – Le secrétaire général Tô Lâm a reçu, texte {article_id}, "
        "une délégation venue parler de coopération économique et culturelle.",
        published_at=published_at,
        section="Politique",
        content_hash=f"hash-{article_id}",
    )
    return replace(base, **changes)


def match(article_pk: int, rule_id: str = "to_lam", alias: str = "Tô Lâm") -> Match:
    text = "Le secrétaire général Tô Lâm a reçu une délégation"
    start = text.index("Tô Lâm")
    return Match(
        article_id=article_pk,
        rule_id=rule_id,
        zones=("body",),
        alias=alias,
        spans=(Span("body", start, start + 6, alias),),
        snippet=Snippet(text, ((start, start + 6),)),
    )


def add_article(
    store: Store,
    item: Article,
    *,
    found: datetime,
    rules: tuple[str, ...] = ("to_lam",),
    backfill: bool = False,
) -> int:
    """Save an article first seen at ``found`` and its matches; returns its primary key."""
    store.save_article(item, found, backfill=backfill)
    stored = store.article_by_identity(item.source, item.article_id)
    assert stored is not None and stored.id is not None
    store.replace_matches(stored.id, [match(stored.id, rule) for rule in rules], found)
    return stored.id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecordingHandler:
    """aiosmtpd handler keeping every accepted message; ``replies`` scripts answers."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    # recipient -> reply for RCPT (e.g. "550 5.1.1 no such user")
    refuse: dict[str, str] = field(default_factory=dict)
    # replies to DATA, consumed in order before answering 250
    data_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 queued as test"

    def parsed(self) -> list[EmailMessage]:
        return [parse(raw) for _, _, raw in self.messages]


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@contextmanager
def smtp_server(handler: RecordingHandler, port: int | None = None) -> Iterator[Controller]:
    """A real aiosmtpd server on 127.0.0.1, stopped on exit."""
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def run(coro: Any) -> Any:
    return asyncio.run(coro)
