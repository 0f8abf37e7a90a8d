"""The scheduler's instance lock on both backends: one holder, leases, lost connections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from store import Store, open_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def other(store: Store) -> Iterator[Store]:
    """A second Store on the same database, as a second process would have."""
    second = open_store(store.url)
    yield second
    second.close()


def test_one_holder_at_a_time(store: Store, other: Store) -> None:
    first = store.acquire_lock("scheduler", "a", lease=LEASE, now=NOW)
    assert first is not None
    assert other.acquire_lock("scheduler", "b", lease=LEASE, now=NOW) is None
    holder = other.lock_holder("scheduler")
    assert holder is not None and holder.holder == "a"
    assert store.renew_lock(first, lease=LEASE, now=NOW)
    store.release_lock(first)
    second = other.acquire_lock("scheduler", "b", lease=LEASE, now=NOW)
    assert second is not None
    other.release_lock(second)


def test_sqlite_lease_expires_or_is_taken_over_from_a_dead_holder(sqlite_store: Store) -> None:
    first = sqlite_store.acquire_lock("scheduler", "a", lease=LEASE, now=NOW)
    assert first is not None
    assert sqlite_store.acquire_lock("scheduler", "b", lease=LEASE, now=NOW) is None
    assert sqlite_store.acquire_lock("scheduler", "b", lease=LEASE, now=NOW, take_over="a")
    # the first holder notices at its next renewal
    assert not sqlite_store.renew_lock(first, lease=LEASE, now=NOW)
    later = NOW + LEASE + timedelta(seconds=1)
    assert sqlite_store.acquire_lock("scheduler", "c", lease=LEASE, now=later) is not None


@pytest.mark.postgres
def test_postgres_lock_survives_a_lost_connection_unless_taken(postgres_url: str) -> None:
    store, other = open_store(postgres_url), open_store(postgres_url)
    try:
        store.upgrade()
        lock = store.acquire_lock("scheduler", "a", lease=LEASE, now=NOW)
        assert lock is not None and lock.connection is not None
        _terminate(other, lock.connection)
        assert store.renew_lock(lock, lease=LEASE, now=NOW)  # re-acquired on a new connection
        assert other.acquire_lock("scheduler", "b", lease=LEASE, now=NOW) is None

        _terminate(other, lock.connection)  # lost again, and this time another takes it
        taken = other.acquire_lock("scheduler", "b", lease=LEASE, now=NOW)
        assert taken is not None
        assert not store.renew_lock(lock, lease=LEASE, now=NOW)
        other.release_lock(taken)
    finally:
        store.close()
        other.close()


def _terminate(admin: Store, connection: object) -> None:
    """Kill the server process behind ``connection`` (a network cut, a server restart)."""
    pid = connection.execute(text("select pg_backend_pid()")).scalar()  # type: ignore[attr-defined]
    connection.commit()  # type: ignore[attr-defined]
    with admin.engine.begin() as conn:
        conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
