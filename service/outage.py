"""A database outage told once: one ERROR when it goes, one WARNING when it is back.

Every job of `vnawatch run` (and every batch of a `vnawatch worker`) reaches
the database; while it is away each of them fails, and each used to log its
traceback. :class:`DatabaseWatch` sits at those job boundaries. The first
failure that :func:`store.is_unreachable` calls an outage is logged as one
ERROR with the driver's cause and no traceback; the later ones are dropped
while it lasts (DEBUG). The first database operation that works again ends
it: one WARNING with how long it lasted, and the interval recorded in the
database for `vnawatch status` and the operator view.

Where the outage is kept, and why there: the database is what is down, so
nothing shared can be written while it lasts, and a file would be seen only
on this host (the compose file mounts the config folder read-only and runs
`vnawatch status` in another process, maybe another container). Meanwhile
whoever needs the database (status, the web app) finds it unreachable
first-hand, with the same cause; once it answers, the scheduler writes the
interval there, where they all read (:class:`DatabaseStatus`, shown by
:func:`database_line` in `vnawatch status` and by the operator view).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from store import describe_unreachable, is_unreachable
from store.db import display_url
from store.records import DatabaseOutage

if TYPE_CHECKING:
    from store import Store

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DatabaseWatch:
    """Whether the database answers, as the jobs find out; thread-safe.

    ``record``: write each outage to the database once it is over (the
    scheduler does; workers only log, so one outage is recorded once).
    """

    def __init__(
        self, store: Store, *, record: bool = True, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.store = store
        self.record = record
        self.clock = clock
        self._lock = threading.Lock()
        self._since: datetime | None = None
        self._cause = ""

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> bool:
        """True when ``exc`` says the database is unreachable: told once per outage, and
        the caller drops it. False for any other error (the caller reports it)."""
        if not is_unreachable(exc):
            return False
        with self._lock:
            first = self._since is None
            if first:
                self._since, self._cause = self.clock(), describe_unreachable(exc)
        if first:
            logger.error(
                "database unreachable: %s; jobs wait for it and log nothing more until it "
                "answers database=%s",
                self._cause,
                display_url(self.store.url),
            )
        else:
            logger.debug("database still unreachable: %s", describe_unreachable(exc))
        return True

    def answered(self) -> None:
        """A database operation just worked: the end of the outage, if one was on."""
        with self._lock:
            since, self._since = self._since, None
        if since is None:
            return
        outage = DatabaseOutage(started_at=since, ended_at=self.clock(), cause=self._cause)
        logger.warning(
            "database reachable again after %d s (unreachable since %s UTC); jobs resume "
            "and catch up",
            round(outage.seconds),
            f"{since:%Y-%m-%d %H:%M:%S}",
        )
        if not self.record:
            return
        try:
            self.store.record_database_outage(outage)
        except Exception as exc:
            if not self.failed(exc):  # gone again at once: the next return records it
                logger.exception("could not record the database outage")


@dataclass(frozen=True)
class DatabaseStatus:
    """The database status could read (so it answers now), and its last outage."""

    url: str
    last_outage: DatabaseOutage | None = None

    def as_json(self) -> dict[str, Any]:
        """Shaped like `vnawatch status --json` when the database cannot be used."""
        outage = self.last_outage
        last = {**asdict(outage), "seconds": round(outage.seconds)} if outage else None
        return {"url": self.url, "usable": True, "last_outage": last}


def database_line(status: DatabaseStatus) -> str:
    """The database answers (status read it); its last outage, if the scheduler saw one."""
    outage = status.last_outage
    if outage is None:
        return f"{status.url} reachable; no outage recorded"
    return (
        f"{status.url} reachable; last outage {outage.started_at:%Y-%m-%d %H:%M} UTC for "
        f"{duration(outage.seconds)} ({outage.cause[:120]})"
    )


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 5 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
