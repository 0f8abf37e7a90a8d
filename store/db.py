"""Store facade: engine and sessions from a URL, schema upgrades, and the queries.

``Store`` is the one object the stages get. Each public method is one
transaction and returns ``store.records`` dataclasses, never ORM objects.
The queries live in one module per table group (articles, matches,
crawl_state, outbox) as mixins of the facade.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from store.articles import ArticleQueries
from store.channels import ChannelQueries
from store.claims import ClaimQueries
from store.crawl_state import CrawlStateQueries
from store.feeds import FeedQueries
from store.health import HealthQueries
from store.locks import LockQueries
from store.matches import MatchQueries
from store.names import NameQueries
from store.outbox import OutboxQueries
from store.pauses import PauseQueries
from store.queueing import QueueingQueries
from store.search import SearchQueries
from store.senders import SenderQueries
from store.spikes import SpikeQueries
from store.subscriptions import SubscriptionQueries
from store.suppressions import SuppressionQueries
from store.trends import TrendQueries

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(Exception):
    """The database cannot be used (bad URL, unreachable, schema too old)."""


class Store(
    ArticleQueries,
    MatchQueries,
    CrawlStateQueries,
    QueueingQueries,
    OutboxQueries,
    ChannelQueries,
    ClaimQueries,
    SubscriptionQueries,
    SuppressionQueries,
    HealthQueries,
    LockQueries,
    FeedQueries,
    PauseQueries,
    SenderQueries,
    SearchQueries,
    NameQueries,
    TrendQueries,
    SpikeQueries,
):
    """All persistent state of vnawatch."""

    def upgrade(self) -> None:
        """Create the schema or bring it to the newest migration."""
        with self.engine.begin() as connection:
            cfg = _alembic_config(self.url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def is_current(self) -> bool:
        head = ScriptDirectory.from_config(_alembic_config(self.url)).get_current_head()
        return self.schema_revision() == head

    def require_current(self) -> None:
        """Raise StoreError with the fix when the schema is missing or old."""
        try:
            current = self.is_current()
        except OperationalError as exc:
            raise StoreError(f"cannot reach the database: {exc.orig}") from None
        if not current:
            raise StoreError(
                f"the database schema is missing or out of date in {display_url(self.url)}: "
                "run `vnawatch init`"
            )

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, create: bool = True, **engine_options: Any) -> Store:
    """A Store for a SQLAlchemy URL; SQLite files get WAL and a busy timeout.

    With ``create=False`` a SQLite file that does not exist is a StoreError
    naming it, instead of an empty database left behind by a mistyped path.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            file = Path(parsed.database)
            if not create and not file.is_file():
                where = "" if file.is_absolute() else f" ({file.resolve()})"
                raise StoreError(f"no database at {display_url(url)}{where}: run `vnawatch init`")
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine_options.setdefault("poolclass", NullPool)
        engine = create_engine(parsed, **engine_options)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine_options.setdefault("pool_pre_ping", True)
        try:
            engine = create_engine(parsed, **engine_options)
        except ImportError as exc:
            raise StoreError(f"no driver for {parsed.drivername}: {exc}") from None
    return Store(engine)


# SQLSTATE classes of a server that is there but will not serve: 08 connection
# exceptions, 57P01-03 shut down by an administrator, crashed, starting up
UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_unreachable(exc: BaseException) -> bool:
    """The database could not be reached (connect refused or reset, connection lost),
    as opposed to a statement that failed: its cause or context counts too."""
    seen: BaseException | None = exc
    for _ in range(5):  # a stage may wrap the driver's error once or twice
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and (seen.connection_invalidated or _unreachable(seen)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _unreachable(error: DBAPIError) -> bool:
    # psycopg's errors carry the server's SQLSTATE, None when no server answered;
    # SQLite's have none ("" here): a file, not a server that can go away
    state = getattr(error.orig, "sqlstate", "")
    if state is None:
        return isinstance(error, OperationalError)
    return bool(state) and state.startswith(UNREACHABLE_SQLSTATES)


def describe_unreachable(exc: BaseException) -> str:
    """The driver's message on one line, without SQLAlchemy's SQL and background link."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, DBAPIError):
        seen = seen.__cause__ or seen.__context__
    return " ".join(str(seen.orig if seen is not None else exc).split())


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the scheduler, the CLI and a crawl child read while one writes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def display_url(url: str) -> str:
    """A database URL safe to print: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"
