"""Migration 0006 (feeds, per-rule pause) on SQLite and PostgreSQL: existing subscribers
get distinct feed nonces, the tables match the models, and it downgrades."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from store import open_store
from store.models import Base
from tests.store.test_migration_0002 import _columns, _migrate

INSERT = (
    "INSERT INTO subscribers (email, name, language, timezone, frequency, send_time, weekday,"
    " origin, active, send_empty, created_at) VALUES (:email, '', 'fr', 'Asia/Ho_Chi_Minh',"
    " 'daily', '07:00', 'monday', 'config', true, false, :now)"
)


def _differences(url: str, tables: set[str]) -> list[object]:
    """What autogenerate would change in ``tables`` to match the models (nothing, we hope)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    return [change for change in diff if _table(change) in tables]


def _table(change: Any) -> str:
    """The table an autogenerate change is about (its shapes: alembic.autogenerate docs)."""
    item = change[0] if isinstance(change, list) else change
    if item[0] in ("add_table", "remove_table"):
        return str(item[1].name)
    if item[0] in ("add_column", "remove_column") or item[0].startswith("modify_"):
        return str(item[2])
    return str(item[1].table.name)  # indexes and constraints


def test_0006_gives_each_subscriber_a_nonce_matches_the_models_and_downgrades(
    database_url: str,
) -> None:
    _migrate(database_url, "upgrade", "0005")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for email in ("a@example.org", "b@example.org"):
            connection.execute(
                text(INSERT), {"email": email, "now": datetime(2026, 11, 1, tzinfo=UTC)}
            )
        first = connection.execute(text("SELECT min(id) FROM subscribers")).scalar_one()
        connection.execute(
            text("INSERT INTO subscriptions (subscriber_id, rule_id) VALUES (:s, 'to_lam')"),
            {"s": first},
        )
    engine.dispose()

    # to head: the models (and the store's queries) are the newest schema's
    _migrate(database_url, "upgrade", "head")
    assert {"paused_at", "resumed_at"} <= _columns(database_url, "subscriptions")
    assert _differences(database_url, {"subscribers", "subscriptions"}) == []
    store = open_store(database_url)
    try:
        a, b = store.subscriber("a@example.org"), store.subscriber("b@example.org")
        assert a is not None and b is not None
        assert re.fullmatch("[0-9a-f]{16}", a.feed_nonce) and a.feed_nonce != b.feed_nonce
        assert (a.rules, a.paused_rules) == (("to_lam",), ())
        assert store.renew_feed_nonce("a@example.org") not in (None, a.feed_nonce)
    finally:
        store.close()

    _migrate(database_url, "downgrade", "0005")
    assert "feed_nonce" not in _columns(database_url, "subscribers")
    assert "paused_at" not in _columns(database_url, "subscriptions")
