"""Migration 0003 (suppressions) on SQLite and PostgreSQL: a hash-only table, reversible."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from alerts.tokens import address_hash
from store import open_store
from tests.alerts.delivery_support import utc
from tests.store.test_migration_0002 import _columns, _migrate


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0003_adds_a_table_of_hashes_only_and_downgrades(database_url: str) -> None:
    _migrate(database_url, "upgrade", "0002")
    assert "suppressions" not in _tables(database_url)
    _migrate(database_url, "upgrade", "0003")
    assert _columns(database_url, "suppressions") == {"address_hash", "reason", "created_at"}
    store = open_store(database_url)
    try:
        digest = address_hash("a@example.org", b"key")
        assert store.suppress(digest, "deletion", utc(2026, 12, 5, 6))
        assert not store.suppress(digest, "unsubscribe", utc(2026, 12, 5, 7))
        assert store.suppressed([digest, "0" * 64]) == {digest}
        (entry,) = store.suppressions()
        assert (entry.reason, entry.created_at) == ("deletion", utc(2026, 12, 5, 6))
    finally:
        store.close()
    _migrate(database_url, "downgrade", "0002")
    assert "suppressions" not in _tables(database_url)
