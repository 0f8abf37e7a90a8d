"""store.is_unreachable: a database that cannot be reached, told apart from a failing statement."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from store import Store, describe_unreachable, is_unreachable, open_store
from tests.alerts.delivery_support import free_port


def _error_of(store: Store, statement: str) -> Exception:
    try:
        with store.engine.connect() as connection:
            connection.execute(text(statement))
    except Exception as exc:
        return exc
    raise AssertionError(f"{statement!r} did not fail")


def test_a_failing_statement_is_not_an_outage(store: Store) -> None:
    assert not is_unreachable(_error_of(store, "select * from no_such_table"))
    assert not is_unreachable(_error_of(store, "selec 1"))
    assert not is_unreachable(ValueError("not a database error"))


@pytest.mark.postgres
def test_a_server_that_does_not_answer_is_an_outage(postgres_url: str) -> None:
    port = free_port()  # nothing listens there
    store = open_store(postgres_url.replace(":5432/", f":{port}/"))
    try:
        error = _error_of(store, "select 1")
    finally:
        store.close()
    assert is_unreachable(error)
    wrapped = RuntimeError("a stage wrapped it")
    wrapped.__cause__ = error
    assert is_unreachable(wrapped)
    cause = describe_unreachable(wrapped)
    assert f"port {port} failed" in cause and "\n" not in cause and "sqlalche.me" not in cause


@pytest.mark.postgres
def test_a_server_shutting_the_connection_is_an_outage(postgres_url: str) -> None:
    """57P01: an administrator (or a restart) terminated the session."""
    store, admin = open_store(postgres_url), open_store(postgres_url)
    try:
        with store.engine.connect() as connection:
            pid = connection.execute(text("select pg_backend_pid()")).scalar()
            with admin.engine.begin() as other:
                other.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
            error = _error_on(connection)
    finally:
        store.close()
        admin.close()
    assert is_unreachable(error), repr(error)


def _error_on(connection: Connection) -> Exception:
    try:
        connection.execute(text("select 1"))
    except Exception as exc:
        return exc
    raise AssertionError("the terminated session still answered")
