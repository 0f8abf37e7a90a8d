"""`vnawatch names` through Typer's runner on a real SQLite archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from store import open_store
from tests.alerts.names_support import FOLDED_ALIAS, MISSED_ALIAS, NEW_NAME, NEW_NAME_ASCII, seed
from tests.test_cli_rules import invoke


def _archive(shipped_config: Path, sqlite_url: str) -> Path:
    code, _, err = invoke("init", "--config", str(shipped_config))
    assert code == 0, err
    store = open_store(sqlite_url)
    try:
        seed(store, datetime.now(UTC))
    finally:
        store.close()
    return shipped_config


def test_names_prints_the_planted_name_first_with_its_snippet(
    shipped_config: Path, sqlite_url: str
) -> None:
    config = _archive(shipped_config, sqlite_url)
    code, out, err = invoke("names", "--since", "7d", "--config", str(config))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Rising names ") and "against the 28 days before" in lines[0]
    first = lines.index(next(line for line in lines if line.startswith(" 1. ")))
    assert lines[first] == f" 1. {NEW_NAME}: 6 articles, 0 before (expected 0.0), new"
    assert lines[first + 1] == f"    spellings: {NEW_NAME}, {NEW_NAME_ASCII}"
    assert "https://lecourrier.vn/noms/" in lines[first + 2]
    snippet_at = lines.index("    config.yaml, under a watchlist's entities:", first)
    snippet = "\n".join(lines[snippet_at + 1 : snippet_at + 4])
    assert yaml.safe_load(snippet) == [
        {"id": "nguyen_van_thang", "name": NEW_NAME, "aliases": [NEW_NAME_ASCII]}
    ]
    assert "Tô Lâm:" not in out and "Selon" not in out
    assert f"{MISSED_ALIAS} (NOT matched now)" in out
    assert f"{FOLDED_ALIAS} (matched by folding)" in out


def test_names_json(shipped_config: Path, sqlite_url: str) -> None:
    config = _archive(shipped_config, sqlite_url)
    code, out, err = invoke("names", "--json", "--config", str(config))
    assert code == 0, err
    report = json.loads(out)
    assert report["rising"][0]["key"] == "nguyen van thang"
    assert report["rising"][0]["rise"] == "new" and len(report["rising"][0]["samples"]) == 3
    entities = {a["entity"] for a in report["aliases"]}
    assert {"luong_cuong", "xi_jinping"} <= entities


def test_names_on_an_empty_archive_and_a_bad_since(shipped_config: Path) -> None:
    code, _, err = invoke("init", "--config", str(shipped_config))
    assert code == 0, err
    code, out, err = invoke("names", "--config", str(shipped_config))
    assert code == 0 and "0 articles published since" in err
    assert "No name unknown to the watchlists rose" in out
    code, _, err = invoke("names", "--since", "soon", "--config", str(shipped_config))
    assert code == 2 and "neither a duration" in err
