"""Shared fixtures: a real database per test (SQLite file, or a PostgreSQL schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from store import Store, open_store

POSTGRES_URL = os.environ.get(
    "VNAWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ON_CI = os.environ.get("CI", "").lower() == "true"

# Property tests check results, not speed: on a loaded machine an example may
# take longer than Hypothesis' 200 ms deadline, or its data longer to draw.
settings.register_profile("vnawatch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("vnawatch")


def _postgres_reason() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as exc:
        return f"PostgreSQL unreachable at {POSTGRES_URL}: {str(exc.orig).strip()}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = _postgres_reason()
    if reason and ON_CI:
        pytest.fail(f"CI=true and {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with fresh_postgres_schema() as url:
        yield url


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL whose search_path is a new schema of the test database, dropped on exit."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vnawatch.db'}"


SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"


@pytest.fixture
def shipped_config(tmp_path: Path, sqlite_url: str) -> Path:
    """The shipped config.yaml, its database and outbox moved into tmp_path."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8").replace(
        "database_url: sqlite:///vnawatch.db", f"database_url: {sqlite_url}"
    )
    text = text.replace("outbox_dir: outbox", f"outbox_dir: {tmp_path / 'outbox'}")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database, once for SQLite and once for PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated Store on each backend; fails the test if it leaks connections."""
    opened = open_store(database_url)
    opened.upgrade()
    yield opened
    checked_out = (
        opened.engine.pool.checkedout() if hasattr(opened.engine.pool, "checkedout") else 0
    )
    opened.close()
    assert checked_out == 0, f"{checked_out} database connections left checked out"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated SQLite Store, for tests that are not about the database."""
    opened = open_store(sqlite_url)
    opened.upgrade()
    yield opened
    opened.close()
