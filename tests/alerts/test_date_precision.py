"""A day without a time stays a day: Le Vietnam Illustré's ``04/12/2026`` everywhere."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.digest import Window, build_digest, is_late, render_digest
from alerts.matching import test_rule as run_rule_test
from config import Config
from store import Store
from store.export import write_export
from store.records import Subscriber
from tests.alerts.delivery_support import HANOI, add_article, article, make_config, match

DAY_ONLY = article("430200", datetime(2026, 12, 4, tzinfo=HANOI), published_time_known=False)
ZONES = ("Asia/Ho_Chi_Minh", "Europe/Paris", "America/New_York")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def _rendered_for(config: Config, zone: str, item: object) -> str:
    subscriber = Subscriber(email="r@example.org", rules=("to_lam",), timezone=zone, id=1)
    stored = replace(item, id=7, first_seen_at=datetime(2026, 12, 4, 3, tzinfo=UTC))  # type: ignore[type-var]
    # the daily window ending at 08:00 on 4 December in the reader's zone holds it
    end = datetime(2026, 12, 4, 8, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    window = Window(end - timedelta(days=1), end, zone)
    digest = build_digest(
        "daily", subscriber, [(match(7), stored)], config, window=window, states=[],
        now=end + timedelta(minutes=5),
    )  # fmt: skip
    assert digest.count == 1
    return render_digest(digest, brand="Veille", unsubscribe_url="u").text


@pytest.mark.parametrize("zone", ZONES)
def test_a_day_only_article_shows_that_day_in_every_zone(config: Config, zone: str) -> None:
    text = _rendered_for(config, zone, DAY_ONLY)
    assert "4 déc. 2026" in text
    assert "3 déc. 2026" not in text and "00:00" not in text


def test_the_same_instant_with_a_time_is_the_previous_evening_in_paris(config: Config) -> None:
    # what an invented 00:00 would show a Paris reader: the reason for the flag
    text = _rendered_for(config, "Europe/Paris", replace(DAY_ONLY, published_time_known=True))
    assert "3 déc. 2026, 18:00" in text


def test_a_day_only_article_belongs_to_its_whole_day_in_the_outlets_zone() -> None:
    hanoi_morning = datetime(2026, 12, 4, 7, tzinfo=HANOI)
    assert not is_late(DAY_ONLY, Window(hanoi_morning, hanoi_morning + timedelta(days=1), "UTC"))
    next_day = hanoi_morning + timedelta(days=1)
    assert is_late(DAY_ONLY, Window(next_day, next_day + timedelta(days=1), "UTC"))
    timed = replace(DAY_ONLY, published_time_known=True)
    assert is_late(timed, Window(hanoi_morning, hanoi_morning + timedelta(days=1), "UTC"))


@pytest.mark.parametrize("zone", ZONES)
def test_the_day_and_text_of_a_day_only_article(zone: str) -> None:
    assert DAY_ONLY.published_day(ZoneInfo(zone)) == date(2026, 12, 4)
    assert DAY_ONLY.published_text(ZoneInfo(zone)) == "2026-12-04"


def test_store_keeps_that_the_time_is_unknown_and_rule_test_shows_the_day(
    store: Store, config: Config
) -> None:
    add_article(store, DAY_ONLY, found=datetime(2026, 12, 4, 3, tzinfo=UTC))
    add_article(
        store,
        article("430201", datetime(2026, 12, 4, 9, 30, tzinfo=HANOI)),
        found=datetime(2026, 12, 4, 3, tzinfo=UTC),
    )
    stored = store.article_by_identity("vietnamplus", "430200")
    assert stored is not None and stored.published_time_known is False
    timed = store.article_by_identity("vietnamplus", "430201")
    assert timed is not None and timed.published_time_known is True
    paris = config.model_copy(update={"timezone": "America/New_York"})
    result = run_rule_test(store, paris, '"Tô Lâm"')
    assert dict(result.per_day) == {date(2026, 12, 4): 1, date(2026, 12, 3): 1}
    rendered = result.render()
    assert "2026-12-04 vietnamplus: Article 430200" in rendered
    assert "2026-12-04 09:30 vietnamplus: Article 430201" in rendered


def test_a_local_time_export_shows_the_day(store: Store) -> None:
    add_article(store, DAY_ONLY, found=datetime(2026, 12, 4, 3, tzinfo=UTC))
    stream = io.StringIO()
    assert write_export(store, "articles", "excel", stream, timezone="America/New_York") == 1
    text = stream.getvalue()
    # published_at then published_time_known: the day, not 2026-12-03 13:00 in New York
    assert ";2026-12-04;False;" in text
