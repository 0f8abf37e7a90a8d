"""Rule commands through Typer's runner on a real SQLite archive: rule test, rule why,
check-config on bad and broad rules, match --rematch-since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from store import open_store
from store.records import Article
from tests.conftest import SHIPPED_CONFIG as SHIPPED


@pytest.fixture
def config_file(shipped_config: Path) -> Path:
    """The shipped config with a database in tmp_path, schema created."""
    path = shipped_config
    code, _, err = invoke("init", "--config", str(path))
    assert code == 0, err
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _article(number: int, title: str, body: str, days_ago: int = 1) -> Article:
    return Article(
        source="lecourrier",
        article_id=str(number),
        url=f"https://lecourrier.vn/essai/{number}.html",
        title=title,
        body=body,
        published_at=datetime.now(UTC) - timedelta(days=days_ago, hours=number % 5),
        content_hash=f"hash-{number}",
    )


def _seed(sqlite_url: str, articles: list[Article]) -> None:
    store = open_store(sqlite_url)
    try:
        for item in articles:
            store.save_article(item, datetime.now(UTC))
    finally:
        store.close()


def _add_rules(config_file: Path, rules: str) -> None:
    """Put ``rules`` (YAML list items) first in the config's rules, the shipped ones after."""
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("\nrules:\n", f"\nrules:\n{rules}", 1), encoding="utf-8")


ARTICLES = [
    _article(1, "Le dirigeant Tô Lâm reçoit une délégation", "Une visite à Hanoï.", 1),
    _article(2, "Coopération portuaire", "Ensuite, TO LAM a parlé avec la Chine. Fin.", 2),
    _article(3, "Agriculture", "Le riz de l'Islam et une machine.", 2),
]


def test_rule_test_lists_matches_per_day_with_highlights(
    config_file: Path, sqlite_url: str
) -> None:
    _seed(sqlite_url, ARTICLES)
    code, out, err = invoke("rule", "test", '"Tô Lâm"', "--config", str(config_file))
    assert code == 0, err
    assert out.startswith("'\"Tô Lâm\"': 2 of 3 stored articles match")
    days = [line for line in out.splitlines() if line.startswith("  20")]
    assert sum(int(line.split()[-1]) for line in days) == 2
    assert "lecourrier: Coopération portuaire" in out
    assert "https://lecourrier.vn/essai/2.html" in out
    assert "[body] Ensuite, »TO LAM« a parlé avec la Chine." in out
    assert "Islam" not in out


def test_rule_test_with_no_match_exits_0(config_file: Path, sqlite_url: str) -> None:
    _seed(sqlite_url, ARTICLES)
    code, out, _ = invoke("rule", "test", "Laos", "--since", "30d", "--config", str(config_file))
    assert (code, out.splitlines()[0]) == (0, "'Laos': 0 of 3 stored articles match")


def test_rule_test_bad_query_says_line_and_column(config_file: Path) -> None:
    code, out, err = invoke("rule", "test", "Chine AND (Laos", "--config", str(config_file))
    assert (code, out) == (2, "")
    assert "line 1, column 11: unclosed parenthesis opened at column 11" in err
    code, _, err = invoke("rule", "test", "*hine", "--config", str(config_file))
    assert code == 2
    assert "wildcard only at the end of a word" in err
    assert "Traceback" not in err


def test_rule_why_names_the_failed_proximity(config_file: Path, sqlite_url: str) -> None:
    far = "Tô Lâm " + "puis " * 12 + "la Chine"
    _seed(sqlite_url, [_article(4, "Diplomatie", far)])
    _add_rules(
        config_file,
        "  - id: proche\n    name: Proche\n    query: '\"Tô Lâm Chine\"~10'\n",
    )
    url = "https://lecourrier.vn/essai/4.html"
    code, out, err = invoke("rule", "why", "proche", url, "--config", str(config_file))
    assert code == 0, err
    assert out.splitlines()[0] == f"rule 'proche' does not match article '{url}'"
    assert "phrase 'to lam chine' not within 10 words" in out


@pytest.mark.parametrize(
    "reference",
    [
        "https://lecourrier.vn/essai/4.html",
        "http://lecourrier.vn/essai/4.html",
        "https://lecourrier.vn/essai/4.html/",
        "https://lecourrier.vn/un-autre-titre/4.html",  # the same article id under another slug
        "4",
    ],
)
def test_rule_why_finds_the_article_from_any_form_of_its_url(
    config_file: Path, sqlite_url: str, reference: str
) -> None:
    _seed(sqlite_url, [_article(4, "Diplomatie", "Tô Lâm a reçu la délégation de la Chine.")])
    code, out, err = invoke("rule", "why", "to_lam", reference, "--config", str(config_file))
    assert code == 0, err
    assert (
        out.splitlines()[0] == "rule 'to_lam' matches article 'https://lecourrier.vn/essai/4.html'"
    )
    assert "found: body « »Tô Lâm« a reçu la délégation de la Chine. »" in out, out


def test_rule_why_unknown_article_exit_1(config_file: Path) -> None:
    code, _, err = invoke(
        "rule", "why", "to_lam", "https://x.vn/1.html", "--config", str(config_file)
    )
    assert code == 1
    assert "no stored article at https://x.vn/1.html" in err


def test_check_config_bad_rules_name_file_line_and_column(config_file: Path) -> None:
    _add_rules(
        config_file,
        "  - id: ouverte\n    name: O\n    query: 'Chine AND (Laos'\n"
        "  - id: joker\n    name: J\n    query: '*hine'\n",
    )
    code, out, err = invoke("check-config", "--config", str(config_file))
    assert (code, out) == (2, "")
    lines = config_file.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines, 1) if "Chine AND (Laos" in line)
    problems = err.splitlines()
    assert problems[0].startswith(f"{config_file}:{first}: rules[0].query: rule 'ouverte': line 1")
    assert problems[0].endswith("line 1, column 11: unclosed parenthesis opened at column 11")
    assert problems[1].startswith(f"{config_file}:{first + 3}: rules[1].query: rule 'joker'")
    assert "refused: wildcard only at the end of a word" in problems[1]


def test_check_config_warns_about_a_rule_matching_most_of_the_archive(
    config_file: Path, sqlite_url: str
) -> None:
    articles = [_article(10 + i, f"Nouvelle {i}", "Le Vietnam avance.") for i in range(24)]
    articles += [_article(40 + i, f"Bornage {i}", "La frontière terrestre.") for i in range(2)]
    _seed(sqlite_url, articles)
    _add_rules(
        config_file,
        "  - id: large\n    name: L\n    query: 'avance'\n"
        "  - id: etroite\n    name: E\n    query: '\"frontière terrestre\"'\n",
    )
    code, _, err = invoke("check-config", "--config", str(config_file))
    assert code == 0, err
    assert "warning: rule 'large' matches 24 of the 26 articles of the last 30 days (92%)" in err
    assert "'etroite'" not in err


def test_check_config_without_a_database_creates_none(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "database_url: sqlite:///vnawatch.db", f"database_url: sqlite:///{tmp_path / 'new.db'}"
    )
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = invoke("check-config", "--config", str(path))
    assert code == 0, err
    assert not (tmp_path / "new.db").exists()


def test_match_rematch_since_twice_makes_no_duplicates(config_file: Path, sqlite_url: str) -> None:
    _seed(sqlite_url, [*ARTICLES, _article(5, "Ancien", "Tô Lâm en visite.", days_ago=20)])
    _add_rules(config_file, "  - id: nom\n    name: T\n    query: '\"Tô Lâm\"'\n")
    code, _, err = invoke("match", "--config", str(config_file))
    assert code == 0, err
    before = _exported_matches(config_file)
    assert sum(row.startswith("nom ") for row in before) == 3
    for _ in range(2):
        code, _, err = invoke("match", "--rematch-since", "7d", "--config", str(config_file))
        assert code == 0, err
        assert "articles=3" in err  # the 20-day-old article is left alone
        assert _exported_matches(config_file) == before


def _exported_matches(config_file: Path) -> list[str]:
    code, out, err = invoke("export", "matches", "--config", str(config_file))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    return sorted(f"{row['rule_id']} {row['url']}" for row in rows)


def test_check_config_reports_every_problem_in_one_pass(config_file: Path) -> None:
    # an unknown entity in one rule, a syntax error in another, and a subscriber typo
    _add_rules(
        config_file,
        "  - id: inconnue\n    name: I\n    query: 'entity:personne'\n"
        "  - id: ouverte\n    name: O\n    query: 'Chine AND (Laos'\n",
    )
    text = config_file.read_text(encoding="utf-8").replace("frequency: daily", "frequncy: daily", 1)
    config_file.write_text(text, encoding="utf-8")
    code, out, err = invoke("check-config", "--config", str(config_file))
    assert (code, out) == (2, "")
    problems = err.splitlines()
    assert any("subscribers[0].frequncy: unknown key" in p for p in problems), err
    assert any("rules[0].query: unknown entity 'personne'" in p for p in problems), err
    assert any("rule 'ouverte'" in p and "unclosed parenthesis" in p for p in problems), err
    assert len(problems) == 3, err  # the unknown entity is not reported twice


@pytest.mark.parametrize(
    ("old", "new", "advice"),
    [
        (
            "    query: entity:to_lam\n",
            "    query: @dirigeants_vn AND Chine\n",
            "a value starting with '@' must be quoted: put the whole query in single quotes",
        ),
        (
            "    query: entity:to_lam\n",
            '    query: "Tô Lâm" AND Chine\n',
            "a value that starts with a quote but goes on after it must be quoted whole",
        ),
        ("    name: Analyste\n", "\tname: Analyste\n", "a tab character: YAML indents with spaces"),
        (
            "    name: Analyste\n",
            "   name: Analyste\n",
            "this line is not indented like the lines around it",
        ),
    ],
    ids=["unquoted-watchlist", "unquoted-phrase", "tab", "bad-indentation"],
)
def test_yaml_slips_are_explained_at_their_line(
    config_file: Path, old: str, new: str, advice: str
) -> None:
    text = config_file.read_text(encoding="utf-8")
    assert old in text
    config_file.write_text(text.replace(old, new, 1), encoding="utf-8")
    lines = config_file.read_text(encoding="utf-8").splitlines()
    line = lines.index(new.rstrip("\n")) + 1  # the line the operator got wrong
    code, _, err = invoke("check-config", "--config", str(config_file))
    assert code == 2
    assert err.startswith(f"{config_file}:{line}: {advice}"), err
    assert "<block end>" not in err and "cannot start any token" not in err
