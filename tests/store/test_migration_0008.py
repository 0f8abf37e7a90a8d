"""Migration 0008 (claims with an owner, senders) on SQLite and PostgreSQL: a row
pending before it stays claimable, the tables match the models, and it downgrades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from store import open_store
from tests.store.test_migration_0002 import _columns, _migrate
from tests.store.test_migration_0006 import _differences

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
SUBSCRIBER = (
    "INSERT INTO subscribers (email, name, language, timezone, frequency, send_time, weekday,"
    " origin, active, send_empty, created_at, feed_nonce) VALUES (:email, '', 'fr',"
    " 'Asia/Ho_Chi_Minh', 'daily', '07:00', 'monday', 'config', true, false, :now, 'n1')"
)
DELIVERY = (
    "INSERT INTO deliveries (subscriber_id, kind, key, subject, message, status, attempts,"
    " next_attempt_at, created_at) VALUES (:s, 'daily', 'k1', 's', :m, 'pending', 0, :now, :now)"
)


def test_0008_adds_claim_owners_keeps_pending_rows_claimable_and_downgrades(
    database_url: str,
) -> None:
    _migrate(database_url, "upgrade", "0007")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(SUBSCRIBER), {"email": "a@example.org", "now": NOW})
        subscriber = connection.execute(text("SELECT min(id) FROM subscribers")).scalar_one()
        connection.execute(text(DELIVERY), {"s": subscriber, "m": b"raw", "now": NOW})
    engine.dispose()

    _migrate(database_url, "upgrade", "0008")
    assert {"claimed_by", "claimed_until"} <= _columns(database_url, "deliveries")
    # the models are head's: a later migration (0010) indexes deliveries too
    _migrate(database_url, "upgrade", "head")
    assert _differences(database_url, {"deliveries", "senders"}) == []
    store = open_store(database_url)
    try:
        (claimed,) = store.claim_deliveries(
            NOW, limit=10, lease=timedelta(minutes=2), owner="h:1:worker:a"
        )
        assert claimed.key == "k1"
        assert store.claim_holders(NOW) == {"h:1:worker:a": 1}
        assert store.release_claims("h:1:worker:a") == 1
        store.record_sender("h:1:worker:a", "worker", NOW, sent=0)
    finally:
        store.close()

    _migrate(database_url, "downgrade", "0007")
    assert "claimed_by" not in _columns(database_url, "deliveries")
    assert "senders" not in _tables(database_url)


def _tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
