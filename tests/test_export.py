"""``vnawatch export articles`` after a real crawl of the fixture site: fields, order, filters."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from crawler.run import crawl
from store import Store
from store.export import ARTICLE_FIELDS
from store.records import Article
from tests.crawler.support import site_config
from tests.servers import FixtureSite


@pytest.fixture
def crawled(store: Store, tmp_path: Path) -> Iterator[Path]:
    """The sample site crawled into ``store``; yields a config file pointing at it."""
    with FixtureSite(tmp_path / "site") as site:
        cfg = site_config(site.url, store.url)
        assert crawl(cfg).ok
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True))
    yield config_file


def _export(config_file: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config_file), "export", "articles", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_has_every_stored_field_one_article_per_line_in_a_stable_order(
    crawled: Path, store: Store
) -> None:
    text = _export(crawled, "--format", "jsonl")
    rows = _jsonl(text)
    assert len(rows) == len(text.splitlines()) == store.count_articles() > 0
    every_field = {f.name for f in dataclasses.fields(Article)}
    assert set(ARTICLE_FIELDS) == every_field
    assert all(list(row) == list(ARTICLE_FIELDS) for row in rows)
    # published_at with the outlet's offset, then the storage id: the order never changes
    keys = [(datetime.fromisoformat(r["published_at"]), r["id"]) for r in rows]
    assert keys == sorted(keys)
    assert all(r["published_at"].endswith("+07:00") for r in rows)
    assert all(r["first_seen_at"] and r["last_seen_at"] and r["content_hash"] for r in rows)
    assert _export(crawled, "--format", "jsonl") == text
    stored = store.article_by_identity(rows[0]["source"], rows[0]["article_id"])
    assert stored is not None
    assert rows[0]["body"] == stored.body and rows[0]["captions"] == list(stored.captions)
    assert "\n\n" in rows[0]["body"]  # paragraphs kept as paragraphs


def test_csv_has_the_same_rows_and_fields_as_jsonl(crawled: Path) -> None:
    rows = _jsonl(_export(crawled, "--format", "jsonl"))
    reader = csv.DictReader(io.StringIO(_export(crawled, "--format", "csv")))
    table = list(reader)
    assert tuple(reader.fieldnames or ()) == ARTICLE_FIELDS
    assert [r["url"] for r in table] == [r["url"] for r in rows]
    for line, row in zip(rows, table, strict=True):
        assert row["body"] == line["body"] and row["title"] == line["title"]
        assert json.loads(row["captions"]) == line["captions"]
        assert row["published_at"] == line["published_at"]
        assert row["backfill"] == str(line["backfill"])


def test_since_and_source_filter_the_export(crawled: Path, store: Store) -> None:
    rows = _jsonl(_export(crawled))
    only = _jsonl(_export(crawled, "--source", "lecourrier"))
    assert {r["source"] for r in only} == {"lecourrier"}
    assert len(only) == store.count_articles("lecourrier")
    middle = sorted(datetime.fromisoformat(r["published_at"]) for r in rows)[len(rows) // 2]
    since = _jsonl(_export(crawled, "--since", middle.isoformat()))
    expected = [r for r in rows if datetime.fromisoformat(r["published_at"]) >= middle]
    assert since == expected and 0 < len(since) < len(rows)
    both = _jsonl(_export(crawled, "--since", middle.isoformat(), "--source", "vietnamplus"))
    assert both == [r for r in expected if r["source"] == "vietnamplus"]


def test_until_and_rule_filter_the_export(crawled: Path) -> None:
    rows = _jsonl(_export(crawled))
    middle = sorted(datetime.fromisoformat(r["published_at"]) for r in rows)[len(rows) // 2]
    until = _jsonl(_export(crawled, "--until", middle.isoformat()))
    assert until == [r for r in rows if datetime.fromisoformat(r["published_at"]) < middle]
    assert 0 < len(until) < len(rows)

    runner = CliRunner()
    assert runner.invoke(app, ["--config", str(crawled), "match"]).exit_code == 0
    matches = runner.invoke(app, ["--config", str(crawled), "export", "matches"]).stdout
    by_rule = {m["rule_id"] for m in _jsonl(matches)}
    rule = sorted(by_rule)[0]
    only = _jsonl(_export(crawled, "--rule", rule))
    expected = {m["url"] for m in _jsonl(matches) if m["rule_id"] == rule}
    assert {r["url"] for r in only} == expected and 0 < len(only) < len(rows)
    result = runner.invoke(app, ["--config", str(crawled), "export", "matches", "--rule", rule])
    assert {m["rule_id"] for m in _jsonl(result.stdout)} == {rule}
    unknown = runner.invoke(app, ["--config", str(crawled), "export", "articles", "--rule", "x"])
    assert unknown.exit_code == 2 and "no rule 'x'" in unknown.stderr


def test_excel_csv_opens_in_french_excel(crawled: Path, tmp_path: Path) -> None:
    rows = _jsonl(_export(crawled))
    path = tmp_path / "articles.csv"
    _export(crawled, "--excel", "--output", str(path))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
    assert raw.count(b"\r\n") >= len(rows) + 1 and b"\n" not in raw.replace(b"\r\n", b"")[:200]
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";")
    table = list(reader)
    zone = yaml.safe_load(crawled.read_text(encoding="utf-8"))["timezone"]
    assert f"published_at ({zone})" in (reader.fieldnames or [])
    for line, row in zip(rows, table, strict=True):
        assert row["title"] == line["title"] and row["body"] == line["body"]
        local = datetime.fromisoformat(line["published_at"]).astimezone(ZoneInfo(zone))
        # a day without a time (Le Vietnam Illustré) stays that day, in any zone
        shown = local.strftime("%Y-%m-%d %H:%M:%S")
        expected = shown if line["published_time_known"] else line["published_at"][:10]
        assert row[f"published_at ({zone})"] == expected


def test_xlsx_workbook_has_the_rows_and_real_dates(crawled: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = _jsonl(_export(crawled))
    path = tmp_path / "articles.xlsx"
    _export(crawled, "--format", "xlsx", "--output", str(path))
    sheet = load_workbook(path, read_only=True)["articles"]
    header, *cells = list(sheet.iter_rows(values_only=True))
    zone = yaml.safe_load(crawled.read_text(encoding="utf-8"))["timezone"]
    assert header[: len(ARTICLE_FIELDS)] == tuple(
        f"{f} ({zone})" if f.endswith("_at") else f for f in ARTICLE_FIELDS
    )
    at = header.index(f"published_at ({zone})")
    assert len(cells) == len(rows)
    for line, row in zip(rows, cells, strict=True):
        assert row[header.index("title")] == line["title"]
        local = datetime.fromisoformat(line["published_at"]).astimezone(ZoneInfo(zone))
        assert row[at] == local.replace(tzinfo=None)  # a date cell, not text
    without = CliRunner().invoke(
        app, ["--config", str(crawled), "export", "articles", "-f", "xlsx"]
    )
    assert without.exit_code == 2 and "give --output" in without.stderr


def test_a_large_export_reports_its_progress(
    crawled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.export

    monkeypatch.setattr(store.export, "PROGRESS_EVERY", 2)
    result = CliRunner().invoke(app, ["--config", str(crawled), "export", "articles"])
    count = len(result.stdout.splitlines())
    assert [line for line in result.stderr.splitlines() if line.startswith("…")] == [
        f"… {n} articles exported" for n in range(2, count + 1, 2)
    ]
    assert result.stderr.splitlines()[-1] == f"{count} articles exported"
