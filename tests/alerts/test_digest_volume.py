"""A rule section's volume in digests: the numbers (alerts.volume), both parts, both
languages, and the real counts through the queueing job."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from alerts.digest import Window, build_digest, render_digest
from alerts.jobs import match_new_articles, queue_due_digests, sync_subscribers
from alerts.volume import Volume, volume_of
from config import Config
from store import Store
from store.records import DayCount, Subscriber
from tests.alerts.delivery_support import HANOI, article, make_config, match, parse, utc

END = date(2026, 12, 6)  # a Sunday: yesterday for the digests of Monday 7 December
HANOI_DAILY = Subscriber(email="a@example.org", rules=("to_lam", "chine"), id=2)


def _days(values: list[int], end: date = END) -> list[DayCount]:
    first = end - timedelta(days=len(values) - 1)
    return [DayCount(first + timedelta(days=i), n) for i, n in enumerate(values)]


# --- the numbers ------------------------------------------------------------


def test_a_week_is_counted_against_the_four_weeks_before() -> None:
    history = _days([3] * 28 + [1, 2, 0, 4, 2, 1, 2])  # 28 days at 3 a day, then a week of 12
    volume = volume_of("to_lam", history, END, 7, since=history[0].day)
    assert (volume.articles, volume.usual) == (12, 21.0)
    assert len(volume.chart) == 14 and volume.period == tuple(d.day for d in history[-7:])


def test_a_day_is_counted_against_its_weekday_aware_usual_level() -> None:
    # busy Sundays (6), quiet other days (1): a Sunday of 6 is usual, not three times it
    values = [6 if (END - timedelta(days=28 - i)).weekday() == 6 else 1 for i in range(28)]
    history = _days([*values, 6], END)
    volume = volume_of("to_lam", history, END, 1, since=history[0].day)
    assert volume.articles == 6
    assert volume.usual is not None and 4.0 < volume.usual < 5.0  # (4 × 6 + 2 × 1.71) / 6


def test_under_seven_days_of_history_there_is_no_usual_level() -> None:
    history = _days([2, 2, 2, 2, 2, 5])
    assert volume_of("to_lam", history, END, 1, since=history[0].day).usual is None
    assert volume_of("to_lam", history, END, 7, since=history[0].day).usual is None
    assert volume_of("to_lam", history, END, 7, since=history[0].day).articles == 15


# --- the rule section, both parts, both languages ------------------------------


def _rendered(config: Config, volumes: dict[str, Volume], language: str = "fr"):  # type: ignore[no-untyped-def]
    subscriber = replace(HANOI_DAILY, language=language)
    pk = 7
    item = replace(
        article("7", datetime(2026, 12, 6, 10, tzinfo=HANOI)), id=pk, first_seen_at=utc(2026, 12, 6)
    )
    other = replace(
        article("8", datetime(2026, 12, 6, 11, tzinfo=HANOI), title="La Chine et le Vietnam"),
        id=8,
        first_seen_at=utc(2026, 12, 6),
    )
    digest = build_digest(
        "weekly" if volumes["to_lam"].period_days == 7 else "daily",
        subscriber,
        [(match(pk), item), (match(8, "chine", "Chine"), other)],
        config,
        window=Window(utc(2026, 11, 30, 0), utc(2026, 12, 7, 0), "Asia/Ho_Chi_Minh"),
        states=[],
        now=utc(2026, 12, 7, 0, 5),
        volumes=volumes,
    )
    return render_digest(digest, brand="Veille VNA", unsubscribe_url="https://x/u")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def test_a_weekly_section_says_its_volume_in_french(config: Config) -> None:
    week = volume_of(
        "to_lam", _days([1, 0, 0, 1, 0, 0, 1] * 4 + [3, 2, 0, 1, 4, 0, 2]), END, 7, None
    )
    day_one = Volume("chine", 7, 1, 0.25, tuple(_days([0] * 13 + [1])))
    rendered = _rendered(config, {"to_lam": week, "chine": day_one})
    assert "== Tô Lâm (1) ==\n12 articles ces 7 derniers jours, habituellement 3\n" in rendered.text
    assert "== Chine (1) ==\n1 article ces 7 derniers jours, habituellement 0,2\n" in rendered.text
    assert "▃▁▁▃▁▁▃▆▅▁▃█▁▅ (23 nov. → 6 déc.)" in rendered.text
    assert "Articles par jour, du 23 nov. au 6 déc.\u00a0: 23 nov.\u00a0: 1," in rendered.text
    assert 'habituellement 3<table class="bars" role="img"' in rendered.html
    assert rendered.html.count('<td valign="bottom"') == 28  # 14 bars in each section
    assert 'title="4 déc.&nbsp;: 4"' in rendered.html
    assert "<img" not in rendered.html and "<script" not in rendered.html
    assert "<svg" not in rendered.html and "url(" not in rendered.html


def test_a_daily_section_says_its_volume_in_english(config: Config) -> None:
    day = Volume("to_lam", 1, 1, 2.4, tuple(_days([2, 3, 1, 0, 2, 1, 1, 3, 2, 2, 4, 2, 3, 1])))
    none = Volume("chine", 1, 0, 1.0, tuple(_days([1] * 13 + [0])))
    rendered = _rendered(config, {"to_lam": day, "chine": none}, language="en")
    assert "== Tô Lâm (1) ==\n1 article yesterday, usually 2.4\n" in rendered.text
    assert "== Chine (1) ==\nno articles yesterday, usually 1\n" in rendered.text
    assert "Articles per day, Nov 23 to Dec 6: Nov 23: 2," in rendered.text
    assert '1 article yesterday, usually 2.4<table class="bars"' in rendered.html
    assert 'aria-label="Articles per day, Nov 23 to Dec 6: Nov 23: 2, Nov 24: 3,' in rendered.html


def test_a_section_without_a_volume_is_unchanged(config: Config) -> None:
    week = volume_of("to_lam", _days([1] * 35), END, 7, None)
    rendered = _rendered(config, {"to_lam": week})
    assert "== Chine (1) ==\n\n" in rendered.text  # no counts for that rule: no line
    assert rendered.html.count('role="img"') == 1


def test_the_marked_days_are_the_period(config: Config) -> None:
    week = volume_of("to_lam", _days([1] * 35), END, 7, None)
    html = _rendered(config, {"to_lam": week}).html
    assert html.count("background: #b3261e") == 7 and html.count("background: #8fb3d9") == 7


# --- through the queueing job, with the real counts -----------------------------


def test_the_queued_digest_carries_the_counts_of_the_match_job(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path, subscribers="  - {email: a@example.org, rules: [to_lam], language: en}\n"
    )
    sync_subscribers(store, config, utc(2026, 11, 1))
    for back in range(1, 31):  # one article a day for 30 days, three yesterday
        day = END - timedelta(days=back - 1)
        for i in range(3 if day == END else 1):
            moment = datetime.combine(day, time(9, i), tzinfo=HANOI)
            store.save_article(article(f"{day:%m%d}{i}", moment), moment + timedelta(minutes=5))
    now = datetime(2026, 12, 7, 7, 10, tzinfo=HANOI).astimezone(UTC)
    match_new_articles(store, config, now=now)
    assert queue_due_digests(store, config, now=now).queued == 1
    (delivery,) = store.deliveries()
    message: EmailMessage = parse(delivery.message)
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "3 articles yesterday, usually 1\n" in plain
    assert "▃▃▃▃▃▃▃▃▃▃▃▃▃█ (Nov 23 → Dec 6)" in plain
