"""Migration 0013: subscribers get ``spike_alerts`` (off for existing rows), as the models say."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from tests.store.test_migration_0002 import _migrate
from tests.store.test_migration_0006 import _differences


def _columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("subscribers")}
    finally:
        engine.dispose()


def test_0013_adds_spike_alerts_off_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0012")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO subscribers (email, name, language, timezone, frequency,"
                    " send_time, weekday, origin, active, send_empty, created_at, feed_nonce,"
                    " channels, email_delivery) VALUES ('a@b.vn', '', 'fr', 'UTC', 'daily',"
                    " '07:00', 'monday', 'config', true, false, '2026-12-01 00:00:00', 'n',"
                    " '[]', true)"
                )
            )
        _migrate(database_url, "upgrade", "0013")
        with engine.connect() as connection:
            value = connection.execute(text("SELECT spike_alerts FROM subscribers")).scalar()
        assert value is not None and not value  # off (SQLite answers 0)
    finally:
        engine.dispose()
    assert _differences(database_url, {"subscribers"}) == []
    _migrate(database_url, "downgrade", "0012")
    assert "spike_alerts" not in _columns(database_url)
