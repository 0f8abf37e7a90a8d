"""`vnawatch trends` through Typer's runner on a real SQLite archive: the sparkline and
the numbers, --json, --days, an unknown or ambiguous name, --rebuild, an empty archive."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.sparkline import TrendSubject, render_trend, sparkline
from alerts.trends import build_series
from store import open_store
from store.records import Article, DayCount
from tests.test_cli_rules import config_file, invoke  # noqa: F401  (fixture used by name)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _today() -> datetime:
    return datetime.now(UTC).astimezone(HANOI)


def _seed(sqlite_url: str) -> None:
    """Xi Jinping on three days: 1 article five days ago, 3 two days ago, 1 today."""
    store = open_store(sqlite_url)
    now = datetime.now(UTC)
    noon = _today().replace(hour=12, minute=0, second=0, microsecond=0)
    try:
        for number, days_ago in enumerate([5, 2, 2, 2, 0]):
            store.save_article(
                Article(
                    source="lecourrier",
                    article_id=str(700 + number),
                    url=f"https://lecourrier.vn/essai/{700 + number}.html",
                    title=f"Xi Jinping reçoit une délégation ({number})",
                    body="Le président chinois Xi Jinping a reçu une délégation vietnamienne.",
                    published_at=min(noon - timedelta(days=days_ago), now),
                    content_hash=f"hash-xi-{number}",
                ),
                now,
            )
    finally:
        store.close()


def test_trends_prints_a_sparkline_and_the_numbers(config_file: Path, sqlite_url: str) -> None:  # noqa: F811
    _seed(sqlite_url)
    assert invoke("match", "--config", str(config_file))[0] == 0
    code, out, err = invoke("trends", "xi_jinping", "--days", "7", "--config", str(config_file))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Xi Jinping (entity xi_jinping): ")
    today = _today().date()
    # the archive starts five days ago: the 7 days asked for start there
    assert lines[1] == f"{today - timedelta(days=5)}  ▃▁▁█▁▃"
    assert "5 articles over 6 days, most 3 on " + str(today - timedelta(days=2)) in out
    assert f"{today - timedelta(days=2)}         3" in out


def test_trends_json_and_names(config_file: Path, sqlite_url: str) -> None:  # noqa: F811
    _seed(sqlite_url)
    invoke("match", "--config", str(config_file))
    code, out, err = invoke("trends", "entity:xi_jinping", "--json", "--config", str(config_file))
    assert code == 0, err
    data = json.loads(out)
    assert (data["kind"], data["key"], data["total"]) == ("entity", "xi_jinping", 5)
    assert len(data["days"]) <= 90 and data["days"][-1]["articles"] == 1
    assert data["timezone"] == "Asia/Ho_Chi_Minh"
    # a rule and an entity share the id "to_lam": the command asks which
    code, _, err = invoke("trends", "to_lam", "--config", str(config_file))
    assert code == 2 and "rule:to_lam or entity:to_lam" in err
    code, out, _ = invoke("trends", "rule:to_lam", "--json", "--config", str(config_file))
    assert code == 0 and json.loads(out)["total"] == 0
    code, _, err = invoke("trends", "xi_jinpin", "--config", str(config_file))
    assert code == 2 and "did you mean xi_jinping" in err
    code, _, err = invoke("trends", "--config", str(config_file))
    assert code == 2 and "--rebuild" in err


def test_trends_rebuild_and_empty_archive(config_file: Path, sqlite_url: str) -> None:  # noqa: F811
    code, out, err = invoke("trends", "entity:xi_jinping", "--config", str(config_file))
    assert code == 0 and "0 articles stored" in err and "0 articles over 1 days" in out
    _seed(sqlite_url)
    invoke("match", "--config", str(config_file))
    code, _, err = invoke("trends", "--rebuild", "--config", str(config_file))
    assert code == 0 and "trends rebuilt articles=5" in err
    code, out, _ = invoke("trends", "entity:xi_jinping", "--json", "--config", str(config_file))
    assert json.loads(out)["total"] == 5


def test_sparkline_scales_to_the_largest() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0, 0]) == "▁▁" and sparkline([]) == ""
    assert sparkline([1, 2], top=8) == "▂▃"  # rows of one chart share the scale


def test_rows_of_a_long_sparkline_share_one_scale() -> None:
    start = date(2026, 10, 1)
    counts = [2] * 30 + [8] + [1] * 9
    history = [DayCount(start + timedelta(days=i), n) for i, n in enumerate(counts)]
    series = build_series("entity", "to_lam", history, start, start)
    text = render_trend(TrendSubject("entity", "to_lam", "Tô Lâm"), series, "Asia/Ho_Chi_Minh")
    first, second = text.splitlines()[1:3]
    assert first == "2026-10-01  " + "▃" * 30  # 2 of 8, not the tallest block
    assert second == "2026-10-31  █" + "▂" * 9
