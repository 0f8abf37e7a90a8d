"""Migration 0002 (web subscriptions) on SQLite and PostgreSQL: upgrade over data, downgrade."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, inspect, text

from store import open_store
from store.db import _alembic_config


def _migrate(url: str, action: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            cfg = _alembic_config(url)
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, revision)
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_0002_upgrades_a_populated_0001_database_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0001")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscribers (email, name, language, timezone, frequency, send_time,"
                " weekday, origin, active, send_empty, created_at) VALUES ('a@example.org', 'A',"
                " 'fr', 'Asia/Ho_Chi_Minh', 'daily', '07:00', 'monday', 'config', true, false,"
                " :now)"
            ),
            {"now": datetime(2026, 11, 1, tzinfo=UTC)},
        )
        subscriber_id = connection.execute(text("SELECT id FROM subscribers")).scalar_one()
        connection.execute(
            text("INSERT INTO subscriptions (subscriber_id, rule_id) VALUES (:s, 'to_lam')"),
            {"s": subscriber_id},
        )
    engine.dispose()

    _migrate(database_url, "upgrade", "head")
    assert {"query", "name"} <= _columns(database_url, "subscriptions")
    assert "unsubscribed_at" in _columns(database_url, "subscribers")
    store = open_store(database_url)
    try:
        assert store.is_current()
        old = store.subscriber("a@example.org")
        assert old is not None and old.rules == ("to_lam",) and old.active
        assert [(r.rule_id, r.query) for r in store.subscriber_rules("a@example.org")] == [
            ("to_lam", "")
        ]
        assert store.stored_rules() == []
    finally:
        store.close()

    _migrate(database_url, "downgrade", "0001")
    assert "query" not in _columns(database_url, "subscriptions")
    assert "unsubscribed_at" not in _columns(database_url, "subscribers")
    _migrate(database_url, "upgrade", "head")
    assert "unsubscribed_at" in _columns(database_url, "subscribers")
