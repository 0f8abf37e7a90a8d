"""Bench populations: subscribers, their rules, a day of articles and matches, bulk-inserted.

Two populations (``KINDS``):

- ``watchlist`` (population a, the one of runs 1-4): 12 topic rules, each
  subscriber follows 1-3 of them, 60 articles each matched by 1-2 rules
  (7-20 entries a digest). Subscribers picking the same entries in the same
  zone and language get the same content: many share it.
- ``random`` (population b): 120 narrow rules, each matching 1-2 of 120
  articles; each subscriber follows rules until its digest holds a random
  3-15 entries (at most one more), so nearly every digest is its own.

Every subscriber is due at ``NOW`` (a daily digest at 07:00 in one of three
time zones, never sent before) and every article was published inside the
part of the day all their windows share, so each subscriber is owed exactly
the articles its rules matched: the ledger the bench checks afterwards.
Generation writes straight into the tables (not timed, not the code measured).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
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
NARROW_RULES = [f"theme_{n:03d}" for n in range(120)]
KINDS = ("watchlist", "random")
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
    """Both populations' rules, no config subscribers (they live in the database), SMTP on
    ``port``."""
    rules = "\n".join(
        f"  - {{id: {r}, name: Sujet {r.split('_')[1]}, query: {r}}}" for r in RULES + NARROW_RULES
    )
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


def populate(store: Store, subscribers: int, kind: str = "watchlist") -> None:
    """Articles with their matches, then ``subscribers`` subscribers in bulk."""
    if kind == "watchlist":
        _articles(store, ARTICLES, lambda rng, n: rng.sample(RULES, rng.choice((1, 1, 2))))
        choose: Callable[[random.Random], list[str]] = _watchlist_entries
    else:
        matched = _articles(store, len(NARROW_RULES), _narrow_rules)
        choose = partial(_random_entries, matched)
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
                {"subscriber_id": sid, "rule_id": rule} for sid in ids for rule in choose(rng)
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


def _watchlist_entries(rng: random.Random) -> list[str]:
    return rng.sample(RULES, rng.randint(1, 3))


def _narrow_rules(rng: random.Random, n: int) -> list[str]:
    """Article ``n`` matches rule ``n`` and, one time in two, the next one."""
    count = len(NARROW_RULES)
    return [NARROW_RULES[n]] + ([NARROW_RULES[(n + 1) % count]] if rng.random() < 0.5 else [])


def _random_entries(matched: dict[str, set[int]], rng: random.Random) -> list[str]:
    """Narrow rules, drawn until they match a random 3-15 articles (one more at most)."""
    target, chosen, found = rng.randint(3, 15), [], set()
    while len(found) < target:
        rule = rng.choice(NARROW_RULES)
        if rule not in chosen:
            chosen.append(rule)
            found |= matched[rule]
    return chosen


def _articles(
    store: Store, count: int, rules_of: Callable[[random.Random, int], list[str]]
) -> dict[str, set[int]]:
    """``count`` articles, each matched by ``rules_of(rng, n)``; the articles of each rule."""
    rng = random.Random(7)
    matched: dict[str, set[int]] = {}
    for n in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(150))
        published = PUBLISHED_FROM + timedelta(seconds=300 * ARTICLES * n // count)
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
        rules = rules_of(rng, n)
        store.replace_matches(
            stored.id, [_match(stored, r) for r in rules], published + timedelta(minutes=4)
        )
        for rule in rules:
            matched.setdefault(rule, set()).add(n)
    return matched


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
