"""Property-based fuzz of every web route against the real ASGI app and a real database.

Hypothesis sends random methods, paths, tokens (non-ASCII, %-escapes, dots,
very long, and mutations of real tokens of both kinds), query strings,
headers, cookies and bodies. For every answer: never a 5xx, the security
headers are there, and a refused request (4xx) changed nothing in the
database nor in the outbox folder.

2,800 examples in all (1,000 + 700 + 400 + 400 + 300), one request each.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from httpx2 import InvalidURL
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import text
from starlette.testclient import TestClient

from alerts.jobs import sync_subscribers
from alerts.tokens import legacy_manage_token, legacy_token, manage_token, unsubscribe_token
from config import SECRET_KEY_ENV, Config
from store import Store, open_store
from tests.alerts.delivery_support import utc
from tests.web.support import KEY, client_for, web_config
from tests.web.test_error_pages import SECURITY_HEADERS

# VNAWATCH_FUZZ_SCALE=10 for a long run by hand; CI runs the default in well under a minute
SCALE = float(os.environ.get("VNAWATCH_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        # one app and database for all of a test's examples, on purpose: state carries over
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


ANALYST = "analyste@example.org"
TABLES = ("subscribers", "subscriptions", "deliveries", "delivered_articles", "suppressions")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
CSRF = "fuzz-csrf-token"

# --- strategies ------------------------------------------------------------------

REAL_TOKENS = [
    unsubscribe_token(ANALYST, KEY),
    manage_token(ANALYST, KEY),
    legacy_token(ANALYST, KEY),
    legacy_manage_token(ANALYST, KEY),
    unsubscribe_token(ANALYST, b"another-key"),
]
odd_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("aZ09-_.%~/é€ 𝄞\u202e\u00a0+=&?#"),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=60,
)
escapes = st.lists(
    st.sampled_from(["%C3%A9", "%ED%A0%80", "%FF", "%00", "%2E", "%2F", "%25", "%zz", "%", "."]),
    max_size=6,
).map("".join)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real token, cut, extended, re-dotted or with one character changed."""
    token = draw(st.sampled_from(REAL_TOKENS))
    where = draw(st.integers(0, len(token)))
    edit = draw(st.sampled_from(["cut", "insert", "replace", "same"]))
    extra = draw(st.one_of(escapes, odd_text))
    if edit == "cut":
        return token[:where]
    if edit == "insert":
        return token[:where] + extra + token[where:]
    if edit == "replace":
        return token[:where] + extra + token[where + 1 :]
    return token


tokens = st.one_of(
    mutated(),
    odd_text,
    escapes,
    st.text(alphabet="AZaz09-_.", min_size=1, max_size=40),
    st.integers(100, 6000).map(lambda n: "A" * n + ".B"),
)


def _quoted(segment: str) -> str:
    # '%' stays raw so that broken escapes reach the server; the rest is encoded
    return quote(segment, safe="%.-_~")


routes = st.sampled_from(
    ["", "tendances/entite", "trends/rule", "subscribe", "api/preview", "confirm", "manage",
     "unsubscribe", "operator", "operator/login", "operator/logout", "static", "static/app.css",
     "nowhere", "tendances", "trends", "tendances/comparer", "trends/compare", "trends/chart.css"]
)  # fmt: skip


@st.composite
def paths(draw: st.DrawFn) -> str:
    route = draw(routes)
    if route in ("confirm", "manage", "unsubscribe", "static", "tendances/entite", "trends/rule"):
        token = draw(tokens)
        return f"/{route}/{_quoted(token)}"
    if draw(st.booleans()):
        return f"/{route}"
    segments = draw(st.lists(st.one_of(odd_text, escapes), min_size=1, max_size=4))
    return "/" + "/".join(_quoted(s) for s in segments)


header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
content_types = st.sampled_from(
    ["application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
     "multipart/form-data; boundary=xyz", "application/json", "text/plain; charset=utf-16",
     "application/x-www-form-urlencoded; charset=latin-1", ""]
)  # fmt: skip
headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.one_of(content_types, header_values),
        "cookie": st.one_of(
            st.just(f"vnawatch_csrf={CSRF}"),
            header_values.map(lambda v: f"vnawatch_operator={v}; vnawatch_csrf={v}"),
            header_values,
        ),
        "accept-language": header_values,
        "x-forwarded-for": header_values,
        "range": header_values,
        "if-none-match": header_values,
        "origin": header_values,
        "referer": header_values,
        "user-agent": header_values,
    },
)
FIELDS = [
    "csrf_token",
    "action",
    "email",
    "name",
    "language",
    "frequency",
    "send_time",
    "timezone",
    "weekday",
    "query",
    "entities",
    "user",
    "password",
    "ui_lang",
    "List-Unsubscribe",
    "x",
]
form_fields = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(
        st.sampled_from([CSRF, "delete", "pause", "resume", "save", ANALYST, "One-Click", "fr"]),
        odd_text,
    ),
    max_size=8,
)
bodies = st.one_of(
    st.none(),
    form_fields.map(lambda f: urlencode(f).encode()),
    st.binary(max_size=300),
    odd_text.map(lambda t: t.encode("utf-8")),
)
queries = st.dictionaries(
    st.sampled_from(["lang", "q", "done", "next", "x", "jours", "days", "e"]),
    st.one_of(odd_text, escapes),
    max_size=3,
)


# --- the app under test ----------------------------------------------------------------


def snapshot(store: Store, outbox: Path) -> tuple[Any, ...]:
    """Everything a request could store: the tables' rows and the outbox folder's files."""
    with store.engine.connect() as connection:
        rows = tuple(
            tuple(map(tuple, connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))))
            for table in TABLES
        )
    files = tuple(sorted(p.name for p in outbox.glob("*"))) if outbox.exists() else ()
    return rows, files


class Target:
    """One app, client and database shared by all of a test's examples."""

    def __init__(self, config: Config, store: Store, outbox: Path) -> None:
        self.store = store
        self.outbox = outbox
        self.client: TestClient = client_for(config, store, raise_server_exceptions=False)
        # nothing but the app writes meanwhile, so the state after one request is the
        # state before the next
        self.state = snapshot(store, outbox)

    def check(
        self,
        method: str,
        path: str,
        query: dict[str, str] | list[tuple[str, str]],
        head: dict[str, str],
        body: Any,
    ) -> None:
        before = self.state
        self.client.cookies.clear()  # only the fuzzed cookie header counts
        url = "http://testserver" + path + ("?" + urlencode(query) if query else "")
        try:
            answer = self.client.request(method, url, headers=head, content=body)
        except InvalidURL:  # the client refused to send it: nothing reached the app
            reject()
        status = answer.status_code
        self.state = snapshot(self.store, self.outbox)
        assert status < 500, (method, url, head, body, status)
        expected = dict(SECURITY_HEADERS)
        if (path.startswith("/static/") or path == "/trends/chart.css") and status < 400:
            del expected["cache-control"]
        for name, value in expected.items():
            assert value in answer.headers.get(name, ""), (method, url, status, name)
        if status >= 400:
            assert self.state == before, (method, url, head, body, status)


@pytest.fixture
def target(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    monkeypatch.setenv(SECRET_KEY_ENV, KEY.decode())
    config = web_config(tmp_path)
    store = open_store(sqlite_url)
    store.upgrade()
    sync_subscribers(store, config, utc(2026, 11, 20, 8))
    yield Target(config, store, tmp_path / "outbox")
    store.close()


@fuzz(1000)
@given(method=st.sampled_from(METHODS), path=paths(), query=queries, head=headers, body=bodies)
def test_fuzz_any_route(
    target: Target,
    method: str,
    path: str,
    query: dict[str, str],
    head: dict[str, str],
    body: bytes | None,
) -> None:
    target.check(method, path, query, head, body)


@fuzz(700)
@given(
    route=st.sampled_from(["unsubscribe", "manage", "confirm"]),
    method=st.sampled_from(["GET", "POST"]),
    token=tokens,
    body=bodies,
)
def test_fuzz_token_routes(
    target: Target, route: str, method: str, token: str, body: bytes | None
) -> None:
    head = {"content-type": "application/x-www-form-urlencoded", "cookie": f"vnawatch_csrf={CSRF}"}
    target.check(method, f"/{route}/{_quoted(token)}", {}, head, body)


@fuzz(400)
@given(
    path=st.sampled_from(["/subscribe", "/operator/login", "/operator/logout"]),
    fields=form_fields,
    with_cookie=st.booleans(),
)
def test_fuzz_forms(target: Target, path: str, fields: dict[str, str], with_cookie: bool) -> None:
    head = {"content-type": "application/x-www-form-urlencoded"}
    if with_cookie:
        head["cookie"] = f"vnawatch_csrf={CSRF}"
    target.check("POST", path, {}, head, urlencode(fields).encode())


@fuzz(400)
@given(path=st.sampled_from(["/", "/api/preview", "/operator"]), query=queries, head=headers)
def test_fuzz_pages_and_preview(
    target: Target, path: str, query: dict[str, str], head: dict[str, str]
) -> None:
    target.check("GET", path, query, head, None)


TREND_KEYS = ["to_lam", "pham_minh_chinh", "to_lam_chine", "chine", ""]
TREND_PATHS = {
    "/tendances": ["", "entite", "regle", "comparer", "entity"],
    "/trends": ["", "entity", "rule", "compare", "entite"],
}


@st.composite
def trend_paths(draw: st.DrawFn) -> str:
    """Mostly a real page (a known entity or rule), sometimes an odd key or segment."""
    root = draw(st.sampled_from(sorted(TREND_PATHS)))
    segment = draw(st.sampled_from(TREND_PATHS[root]))
    if not segment or segment.startswith("compar"):
        return f"{root}/{segment}".rstrip("/")
    key = draw(st.one_of(st.sampled_from(TREND_KEYS), odd_text, escapes))
    return f"{root}/{segment}/{_quoted(key)}"


trend_queries = st.lists(
    st.tuples(
        st.sampled_from(["jours", "days", "e", "lang", "x"]),
        st.one_of(st.sampled_from(["30", "90", "365", "0", "-1", "1e9", *TREND_KEYS]), odd_text),
    ),
    max_size=7,
)


@pytest.fixture
def trend_target(target: Target) -> Target:
    """The target with a few weeks of articles, matched and counted."""
    from alerts.jobs import match_new_articles
    from tests.alerts.delivery_support import article

    config = web_config(target.outbox.parent)
    for n in range(40):
        when = utc(2026, 11, 20, 8) - timedelta(hours=13 * n)
        target.store.save_article(article(str(n), when, body=f"Tô Lâm et la Chine ({n})."), when)
    match_new_articles(target.store, config, now=utc(2026, 11, 20, 9))
    target.state = snapshot(target.store, target.outbox)
    return target


@fuzz(300)
@given(path=trend_paths(), query=trend_queries, head=headers)
def test_fuzz_trends(
    trend_target: Target, path: str, query: list[tuple[str, str]], head: dict[str, str]
) -> None:
    trend_target.check("GET", path, query, head, None)
