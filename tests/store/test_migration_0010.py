"""Migration 0010: the queueing indexes exist after it, match the models, and go on downgrade."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.store.test_migration_0002 import _migrate
from tests.store.test_migration_0006 import _differences

INDEXES = {
    "deliveries": "ix_deliveries_subscriber_id_kind",
    "delivered_articles": "ix_delivered_articles_delivery_id",
}


def _indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {index["name"] or "" for index in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_0010_adds_the_queueing_indexes_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0010")
    for table, index in INDEXES.items():
        assert index in _indexes(database_url, table)
    assert _differences(database_url, set(INDEXES)) == []
    _migrate(database_url, "downgrade", "0009")
    for table, index in INDEXES.items():
        assert index not in _indexes(database_url, table)
