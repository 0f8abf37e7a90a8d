"""A bench population: subscribers, their rules, a day of articles and matches, bulk-inserted.

Every subscriber is due at ``NOW`` (a daily digest at 07:00 in one of three
time zones, never sent before) and every article was published inside the
part of the day all their windows share, so each subscriber is owed exactly
the articles its rules matched: the ledger the bench checks afterwards.
Generation writes straight into the tables (not timed, not the code measured).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from config import Config, parse_config
from store import Store
from store.models import DeliveredArticleRow, MatchRow, SubscriberRow, SubscriptionRow
from store.records import Article, Match, Snippet, Span

NOW = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
# 00:00-06:00 UTC on the 21st lies in the due window of Hanoi, Paris and Montreal alike
PUBLISHED_FROM = datetime(2026, 11, 21, 0, 5, tzinfo=UTC)
RULES = [f"sujet_{n:02d}" for n in range(12)]
ZONES = ["Asia/Ho_Chi_Minh", "Europe/Paris", "America/Montreal"]
ARTICLES = 60
CHUNK = 5000
WORDS = [
    "coopération",
    "économique",
    "délégation",
    "frontière",
    "mer",
    "Orientale",
    "Chine",
    "Tô",
    "Lâm",
    "Assemblée",
    "nationale",
    "réforme",
    "commerce",
    "investissement",
    "culture",
    "patrimoine",
    "Hanoï",
    "Hô",
    "Chi",
    "Minh-Ville",
    "Premier",
    "ministre",
    "accord",
    "sommet",
    "ASEAN",
    "énergie",
    "climat",
    "agriculture",
    "riz",
    "exportations",
]


def bench_config(port: int, outbox: str) -> Config:
    """Twelve topic rules, no config subscribers (they live in the database), SMTP on ``port``."""
    rules = "\n".join(f"  - {{id: {r}, name: Sujet {r[-2:]}, query: {r}}}" for r in RULES)
    text = f"""
sources:
  vietnamplus: {{name: VietnamPlus, base_url: 'https://fr.vietnamplus.vn', credit: VNA,
                article_url_pattern: '-post(\\d+)\\.vnp$'}}
rules:
{rules}
mail: {{backend: smtp, host: 127.0.0.1, port: {port}, outbox_dir: '{outbox}',
        timeout_seconds: 60, from_address: veille@vnawatch.example, from_name: Veille VNA}}
"""
    return parse_config(text, Path("bench.yaml"))


def populate(store: Store, subscribers: int) -> None:
    """Articles with their matches, then ``subscribers`` subscribers in bulk."""
    _articles(store)
    rng = random.Random(5)
    created = NOW - timedelta(days=30)
    with store.engine.begin() as connection:
        for first in range(0, subscribers, CHUNK):
            rows = [_subscriber(i, created) for i in range(first, min(first + CHUNK, subscribers))]
            ids = connection.execute(
                insert(SubscriberRow).returning(SubscriberRow.id, sort_by_parameter_order=True),
                rows,
            ).scalars()
            subscriptions = [
                {"subscriber_id": sid, "rule_id": rule}
                for sid in ids
                for rule in rng.sample(RULES, rng.randint(1, 3))
            ]
            connection.execute(insert(SubscriptionRow), subscriptions)


def _subscriber(i: int, created: datetime) -> dict[str, object]:
    return {
        "email": f"s{i:06d}@example.org",
        "name": f"Abonné {i}",
        "language": "en" if i % 5 == 0 else "fr",
        "timezone": ZONES[i % len(ZONES)],
        "frequency": "daily",
        "send_time": "07:00",
        "weekday": "monday",
        "origin": "web",
        "active": True,
        "send_empty": False,
        "created_at": created,
    }


def _articles(store: Store) -> None:
    rng = random.Random(7)
    for n in range(ARTICLES):
        body = " ".join(rng.choice(WORDS) for _ in range(150))
        published = PUBLISHED_FROM + timedelta(minutes=5 * n)
        item = Article(
            source="vietnamplus",
            article_id=str(50_000 + n),
            url=f"https://fr.vietnamplus.vn/article-post{50_000 + n}.vnp",
            title=" ".join(rng.choice(WORDS) for _ in range(10)).capitalize(),
            summary=" ".join(rng.choice(WORDS) for _ in range(30)),
            body=body,
            section="Politique",
            published_at=published,
            content_hash=str(n),
        )
        store.save_article(replace(item), published + timedelta(minutes=3))
        stored = store.article_by_identity(item.source, item.article_id)
        assert stored is not None and stored.id is not None
        rules = rng.sample(RULES, rng.choice((1, 1, 2)))
        store.replace_matches(
            stored.id, [_match(stored, r) for r in rules], published + timedelta(minutes=4)
        )


def _match(item: Article, rule: str) -> Match:
    words = item.body.split()
    text = " ".join(words[:30])
    return Match(
        article_id=item.id or 0,
        rule_id=rule,
        zones=("body",),
        alias=words[0],
        spans=(Span("body", 0, len(words[0]), rule),),
        snippet=Snippet(text, ((0, len(words[0])),)),
    )


def owed_pairs(store: Store) -> int:
    """How many (subscriber, article) pairs the population owes: what the ledger must hold."""
    owed = (
        select(SubscriptionRow.subscriber_id, MatchRow.article_pk)
        .join(MatchRow, MatchRow.rule_id == SubscriptionRow.rule_id)
        .distinct()
        .subquery()
    )
    with store.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(owed)) or 0)


def ledger_pairs(store: Store) -> tuple[int, int]:
    """(rows, distinct (subscriber, channel, article)) in delivered_articles."""
    distinct = (
        select(
            DeliveredArticleRow.subscriber_id,
            DeliveredArticleRow.channel,
            DeliveredArticleRow.article_pk,
        )
        .distinct()
        .subquery()
    )
    with store.engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(DeliveredArticleRow))
        unique = connection.scalar(select(func.count()).select_from(distinct))
        return int(rows or 0), int(unique or 0)
