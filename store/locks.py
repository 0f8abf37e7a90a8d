"""Single-instance locks: one scheduler per database.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a dedicated
connection held for the life of the process; the server drops it when the
process or its connection dies. The ``locks`` row is then only informational
(who holds it, for the refusal message).

SQLite: a lease in the ``locks`` row, renewed by a heartbeat and taken over
once it has expired. Every write is one conditional statement, so two
processes racing for the row cannot both win.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ResourceClosedError

from store.base import StoreBase
from store.models import LockRow

logger = logging.getLogger(__name__)

ADVISORY_LOCK = text("select pg_try_advisory_lock(hashtext(:name), hashtext(current_schema()))")
ADVISORY_UNLOCK = text("select pg_advisory_unlock(hashtext(:name), hashtext(current_schema()))")


@dataclass(frozen=True)
class LockHolder:
    """Who holds a named lock, and until when its lease runs."""

    holder: str
    expires_at: datetime


@dataclass
class InstanceLock:
    """A held lock; PostgreSQL keeps the connection that owns the advisory lock."""

    name: str
    holder: str
    connection: Connection | None = field(default=None, repr=False)


class LockQueries(StoreBase):
    """Facade methods for the ``locks`` table and PostgreSQL advisory locks."""

    def lock_holder(self, name: str) -> LockHolder | None:
        with self._transaction() as session:
            row = session.get(LockRow, name)
            return LockHolder(row.holder, row.expires_at) if row else None

    def acquire_lock(
        self,
        name: str,
        holder: str,
        *,
        lease: timedelta,
        now: datetime,
        take_over: str | None = None,
    ) -> InstanceLock | None:
        """Take the lock, or None when another process holds it.

        ``take_over`` names a holder known to be dead (its lease may take over early).
        """
        connection = None
        if self.dialect == "postgresql":
            connection = self._advisory_connection(name)
            if connection is None:
                return None
            self._write_lease(name, holder, now + lease, now=now, take_over=None, force=True)
            return InstanceLock(name, holder, connection)
        if self._write_lease(name, holder, now + lease, now=now, take_over=take_over):
            return InstanceLock(name, holder)
        return None

    def renew_lock(self, lock: InstanceLock, *, lease: timedelta, now: datetime) -> bool:
        """Extend the lease; False when the lock is lost (then stop working)."""
        if self.dialect == "postgresql":
            if not _is_alive(lock.connection):
                lock.connection = None
                # raises while the server is unreachable: the next renewal tries again
                # (said once, by the caller, not at every renewal of an outage)
                lock.connection = self._advisory_connection(lock.name)
                if lock.connection is None:
                    return False  # another scheduler took it meanwhile
                logger.warning("lock connection was lost; lock taken again name=%s", lock.name)
            self._write_lease(lock.name, lock.holder, now + lease, now=now, force=True)
            return True
        with self._transaction() as session:
            result = session.execute(
                update(LockRow)
                .where(LockRow.name == lock.name, LockRow.holder == lock.holder)
                .values(expires_at=now + lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release_lock(self, lock: InstanceLock) -> None:
        with self._transaction() as session:
            session.execute(
                delete(LockRow).where(LockRow.name == lock.name, LockRow.holder == lock.holder)
            )
        if lock.connection is not None:
            try:
                lock.connection.execute(ADVISORY_UNLOCK, {"name": lock.name})
                lock.connection.commit()
            except (DBAPIError, ResourceClosedError):
                pass  # the server drops the lock with the connection anyway
            _close_quietly(lock.connection)
            lock.connection = None

    def _advisory_connection(self, name: str) -> Connection | None:
        connection = self.engine.connect()
        try:
            got = bool(connection.execute(ADVISORY_LOCK, {"name": name}).scalar())
            connection.commit()
        except DBAPIError:
            _close_quietly(connection)
            raise
        if not got:
            _close_quietly(connection)
            return None
        return connection

    def _write_lease(
        self,
        name: str,
        holder: str,
        expires_at: datetime,
        *,
        now: datetime,
        take_over: str | None = None,
        force: bool = False,
    ) -> bool:
        """Claim the row if free, expired, ours, or forced; True when it is ours."""
        claimable = (LockRow.holder == holder) | (LockRow.expires_at < now)
        if take_over:
            claimable = claimable | (LockRow.holder == take_over)
        claim = update(LockRow).where(LockRow.name == name)
        if not force:
            claim = claim.where(claimable)
        try:
            with self._transaction() as session:
                values = {"holder": holder, "expires_at": expires_at}
                if session.execute(claim.values(**values)).rowcount:  # type: ignore[attr-defined]
                    return True
                if session.scalar(select(LockRow.name).where(LockRow.name == name)):
                    return False
                session.execute(insert(LockRow).values(name=name, **values))
                return True
        except (IntegrityError, OperationalError):
            # another process inserted or wrote the row between our statements
            return False


def _is_alive(connection: Connection | None) -> bool:
    """The advisory lock's connection still answers (closed quietly when it does not)."""
    if connection is None:
        return False
    try:
        connection.execute(text("select 1"))
        connection.commit()
    except (DBAPIError, ResourceClosedError):
        _close_quietly(connection)
        return False
    return True


def _close_quietly(connection: Connection) -> None:
    with contextlib.suppress(DBAPIError):
        connection.close()
