"""match_new_articles / rematch_since / test_rule / explain_rule on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts import jobs, matching
from alerts.query import RuleSyntaxError
from config import Config, Rule, parse_config
from store import Store
from store.records import Article

HANOI = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CONFIG = """
sources:
  lecourrier:
    name: Le Courrier du Vietnam
    base_url: https://lecourrier.vn
    credit: CVN
    article_url_pattern: '/(\\d+)\\.html$'
watchlists:
  - id: dirigeants
    name: Dirigeants
    entities:
      - id: to_lam
        name: Tô Lâm
        aliases: [To Lam]
        abbreviations: []
rules:
  - id: to_lam_chine
    name: Tô Lâm et la Chine
    query: 'entity:to_lam AND Chine'
  - id: frontiere
    name: Frontière
    query: 'frontali* OR "frontière terrestre"'
"""


def _config(text: str = CONFIG) -> Config:
    return parse_config(text, Path("config.yaml"))


def _article(article_id: str, title: str, body: str = "", day: int = 21) -> Article:
    return Article(
        source="lecourrier",
        article_id=article_id,
        url=f"https://lecourrier.vn/exemple/{article_id}.html",
        title=title,
        body=body,
        published_at=datetime(2026, 11, day, 14, 30, tzinfo=HANOI),
        content_hash=f"hash-{article_id}-{title}-{body}",
    )


def _seed(store: Store) -> None:
    store.save_article(_article("1", "TÔ LÂM reçoit l’ambassadeur de Chine"), NOW)
    store.save_article(_article("2", "Une machine agricole", "Rien sur Islam ni Lamarck."), NOW)
    store.save_article(_article("3", "Coopération frontalière", "Tô Lâm au Laos.", day=20), NOW)


def test_match_new_articles_stores_matches_and_marks_articles(store: Store) -> None:
    _seed(store)
    report = jobs.match_new_articles(store, _config(), now=NOW, batch=2)
    assert (report.articles, report.matched_articles, report.matches) == (3, 2, 2)
    assert store.unmatched_articles() == []
    first = store.article_by_identity("lecourrier", "1")
    assert first is not None and first.id is not None
    (match,) = store.matches_for_article(first.id)
    assert match.rule_id == "to_lam_chine"
    assert match.article_id == first.id
    assert [(s.zone, first.title[s.start : s.end]) for s in match.spans] == [
        ("title", "TÔ LÂM"),
        ("title", "Chine"),
    ]
    assert jobs.match_new_articles(store, _config(), now=NOW).articles == 0


def test_updated_article_is_matched_again_without_duplicates(store: Store) -> None:
    _seed(store)
    jobs.match_new_articles(store, _config(), now=NOW)
    edited = _article("2", "Une machine agricole", "La Chine reçoit To Lam.")
    assert store.save_article(edited, NOW + timedelta(hours=1)) == "updated"
    report = jobs.match_new_articles(store, _config(), now=NOW + timedelta(hours=1))
    assert (report.articles, report.matches) == (1, 1)
    assert store.count_matches() == 3


def test_rematch_since_replaces_instead_of_duplicating(store: Store) -> None:
    _seed(store)
    config = _config()
    jobs.match_new_articles(store, config, now=NOW)
    since = datetime(2026, 11, 1, tzinfo=UTC)
    for _ in range(2):
        report = jobs.rematch_since(store, config, since, now=NOW)
        assert (report.articles, report.matches) == (3, 2)
    assert store.count_matches() == 2
    narrower = config.model_copy(
        update={"rules": [Rule(id="frontiere", name="F", query='"frontière terrestre"')]}
    )
    jobs.rematch_since(store, narrower, since, rule_ids=["frontiere"], now=NOW)
    assert store.count_matches("frontiere") == 0
    assert store.count_matches("to_lam_chine") == 1


def test_rematch_since_skips_older_articles(store: Store) -> None:
    _seed(store)
    report = jobs.rematch_since(store, _config(), datetime(2026, 11, 21, tzinfo=UTC), now=NOW)
    assert report.articles == 2


def test_rule_test_counts_per_local_day(store: Store) -> None:
    _seed(store)
    result = jobs.test_rule(store, _config(), '"to lam"', since=None)
    assert result.articles_scanned == 3
    assert [hit.article.article_id for hit in result.hits] == ["3", "1"]
    assert result.per_day == [(date(2026, 11, 20), 1), (date(2026, 11, 21), 1)]
    assert store.count_matches() == 0


def test_rule_test_reports_a_syntax_error(store: Store) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        jobs.test_rule(store, _config(), "Chine AND (Laos", since=None)
    assert caught.value.line == 1


def test_explain_rule_says_which_clause_failed(store: Store) -> None:
    _seed(store)
    lines = jobs.explain_rule(
        store, _config(), "to_lam_chine", "https://lecourrier.vn/exemple/3.html"
    )
    assert "does not match" in lines[0]
    assert any("word 'chine': not found" in line for line in lines)
    assert jobs.explain_rule(store, _config(), "nope", "x") == ["unknown rule 'nope'"]


def test_match_new_articles_with_no_rules_marks_everything(store: Store) -> None:
    _seed(store)
    config = replace_rules(_config(), [])
    report = jobs.match_new_articles(store, config, now=NOW)
    assert (report.articles, report.matches) == (3, 0)
    assert store.unmatched_articles() == []


def replace_rules(config: Config, rules: list[Rule]) -> Config:
    return config.model_copy(update={"rules": rules})


def _many_rules() -> list[Rule]:
    """FREQUENCY_MIN_RULES rules pairing a name no article holds with a frequent word."""
    rules = [Rule(id="export_hanoi", name="Export", query='exportation AND "Hà Nội"')]
    rules += [
        Rule(id=f"nom{i}", name="n", query=f"Kelbaro{i} AND exportation")
        for i in range(matching.FREQUENCY_MIN_RULES)
    ]
    return rules


def test_many_rules_are_keyed_by_the_archive_word_shares(store: Store) -> None:
    assert matching.archive_frequencies(store) is None  # no archive yet: the guess is kept
    for i in range(matching.FREQUENCY_MIN_ARTICLES):
        city = "Hà Nội" if i % 10 == 0 else "Huế"
        body = f"L’exportation depuis {city}."
        store.save_article(_article(str(i), f"Riz {i}", body), NOW)
    shares = matching.archive_frequencies(store)
    assert shares is not None and shares.articles == matching.FREQUENCY_MIN_ARTICLES
    assert shares.word("exportation") == 1.0 and shares.word("noi") == 0.1

    config = replace_rules(_config(), _many_rules())
    matcher = matching.compile_for_archive(store, config, config.rules)
    assert matcher.index.keys_of(1) == {("w", "kelbaro0")}  # not the word every article has
    report = jobs.match_new_articles(store, config, now=NOW)
    # every article was verified against the rules the presearch selected, and only
    # "export_hanoi" matches: the ten articles from Hà Nội
    assert (report.articles, report.matches) == (matching.FREQUENCY_MIN_ARTICLES, 10)
    assert store.count_matches("export_hanoi") == 10


def test_the_compiled_matcher_is_reused_until_a_rule_or_watchlist_changes(store: Store) -> None:
    config = _config()
    article = _article("9", "Lương Cường reçoit l’ambassadeur de Chine")
    first = matching.compile_for_archive(store, config, config.rules)
    assert matching.compile_for_archive(store, config, config.rules) is first
    assert first.match(article) == []

    renamed = [rule.model_copy(update={"name": "Autre nom"}) for rule in config.rules]
    assert matching.compile_for_archive(store, config, renamed) is first  # a name matches nothing

    edited = replace_rules(config, [Rule(id="chine", name="Chine", query="Chine")])
    matcher = matching.compile_for_archive(store, edited, edited.rules)
    assert [m.rule_id for m in matcher.match(article)] == ["chine"]

    # the entity behind "entity:to_lam" now names someone else: same rules, new matcher
    watchlist = config.watchlists[0]
    entity = watchlist.entities[0].model_copy(update={"name": "Lương Cường", "aliases": []})
    moved = config.model_copy(
        update={"watchlists": [watchlist.model_copy(update={"entities": [entity]})]}
    )
    matcher = matching.compile_for_archive(store, moved, moved.rules)
    assert matcher is not first
    assert [m.rule_id for m in matcher.match(article)] == ["to_lam_chine"]
