"""Migration 0007 (channels) on SQLite and PostgreSQL: rows stay email, models match, reversible."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from store import open_store
from tests.store.test_migration_0002 import _columns, _migrate
from tests.store.test_migration_0006 import _differences


def test_0007_keeps_rows_on_email_matches_the_models_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0006")
    engine = create_engine(database_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscribers (email, name, language, timezone, frequency, send_time,"
                " weekday, origin, active, send_empty, created_at, feed_nonce) VALUES"
                " ('a@example.org', 'A', 'fr', 'Asia/Ho_Chi_Minh', 'daily', '07:00', 'monday',"
                " 'config', true, false, :now, '0123456789abcdef')"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (subscriber_id, kind, key, subject, message, status,"
                " attempts, created_at) SELECT id, 'daily', 'k1', 'S', :raw, 'pending', 0, :now"
                " FROM subscribers"
            ),
            {"now": now, "raw": b"raw"},
        )
    engine.dispose()
    # to head: the models (and the store's queries) are the newest schema's (0008 follows)
    _migrate(database_url, "upgrade", "head")
    assert _differences(database_url, {"subscribers", "deliveries"}) == []
    store = open_store(database_url)
    try:
        subscriber = store.subscriber("a@example.org")
        assert subscriber is not None
        assert (subscriber.channels, subscriber.email_delivery) == ((), True)
        (delivery,) = store.deliveries()
        assert delivery.channel == "email" and delivery.is_email
        assert store.set_channels("a@example.org", ["json://h/p"], email_delivery=False)
        changed = store.subscriber("a@example.org")
        assert changed is not None and changed.channels == ("json://h/p",)
        assert not changed.email_delivery
    finally:
        store.close()
    _migrate(database_url, "downgrade", "0006")
    assert "channel" not in _columns(database_url, "deliveries")
    assert not {"channels", "email_delivery"} & _columns(database_url, "subscribers")
