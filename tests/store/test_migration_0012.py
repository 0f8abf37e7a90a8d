"""Migration 0012: the trend tables exist after it, match the models, and go on downgrade."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.store.test_migration_0002 import _migrate
from tests.store.test_migration_0006 import _differences

TABLES = {"trend_hits", "trend_counts"}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0012_adds_the_trend_tables_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0012")
    assert _tables(database_url) >= TABLES
    assert _differences(database_url, TABLES) == []
    _migrate(database_url, "downgrade", "0011")
    assert not TABLES & _tables(database_url)
