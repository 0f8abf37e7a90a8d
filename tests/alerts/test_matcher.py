"""alerts.matcher: the golden table, evidence (spans, snippet), presearch, explain."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.evaluate import ArticleView
from alerts.matcher import check_rules, compile_rules, word_shares
from alerts.presearch import WordFrequencies
from alerts.query import RuleRefusedError, RuleSyntaxError, iter_terms, parse_rule
from config import Rule, Watchlist
from store.records import Article

HANOI = timezone(timedelta(hours=7))
GOLDEN = yaml.safe_load((Path(__file__).parent / "golden.yaml").read_text(encoding="utf-8"))
WATCHLISTS = [Watchlist.model_validate(w) for w in GOLDEN["watchlists"]]
CASES: list[dict[str, Any]] = GOLDEN["cases"]


def article(
    *,
    title: str = "",
    summary: str = "",
    body: str = "",
    captions: tuple[str, ...] = (),
    section: str | None = None,
    source: str = "vietnamplus",
    published: date = date(2025, 1, 10),
    pk: int | None = 7,
) -> Article:
    return Article(
        source=source,
        article_id="1",
        url="https://fr.vietnamplus.vn/exemple-post1.vnp",
        title=title,
        summary=summary,
        body=body,
        captions=captions,
        section=section,
        published_at=datetime.combine(published, time(9, 0), HANOI),
        id=pk,
    )


def _case_article(case: dict[str, Any]) -> Article:
    fields = dict(case.get("article") or {(case.get("zone") or "body"): case["text"]})
    if "captions" in fields:
        fields["captions"] = tuple(fields["captions"])
    return article(published=case.get("published", date(2025, 1, 10)), **fields)


def _text_of(item: Article, zone: str) -> str:
    texts = {"title": item.title, "lede": item.summary, "body": item.body}
    return texts.get(zone, "\n".join(item.captions))


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c['query']}" for i, c in enumerate(CASES)])
def test_golden(case: dict[str, Any]) -> None:
    matcher = compile_rules([Rule(id="r", name="r", query=case["query"])], WATCHLISTS)
    item = _case_article(case)
    found = matcher.match(item)
    assert bool(found) == case["match"], "\n".join(matcher.explain("r", item))
    assert found == matcher.match_all(item)
    for term, _ in iter_terms(matcher.rules[0].tree):  # the offset-free test agrees with hits
        assert ArticleView(item).has(term) == bool(ArticleView(item).hits(term)), term
    if found and "spans" in case:
        (match,) = found
        assert [_text_of(item, s.zone)[s.start : s.end] for s in match.spans] == case["spans"]


def test_golden_table_is_big_enough() -> None:
    assert len(CASES) >= 80


def test_match_carries_zones_alias_spans_and_snippet() -> None:
    matcher = compile_rules(
        [Rule(id="to_lam_chine", name="x", query="entity:to_lam AND Chine")], WATCHLISTS
    )
    body = "Premier point. Hier, To Lam a rencontré l’ambassadeur de Chine à Hanoï. Fin."
    (match,) = matcher.match(article(title="Diplomatie", body=body))
    assert (match.article_id, match.rule_id, match.zones, match.alias) == (
        7,
        "to_lam_chine",
        ("body",),
        "Tô Lâm",  # the first spelling of the entity that folds like the text
    )
    assert match.snippet.text == "Hier, To Lam a rencontré l’ambassadeur de Chine à Hanoï."
    assert [match.snippet.text[a:b] for a, b in match.snippet.highlights] == ["To Lam", "Chine"]


def test_a_wildcard_reports_the_word_it_found_as_written() -> None:
    matcher = compile_rules([Rule(id="frontiere", name="x", query="frontali* AND Laos")])
    body = "Les discussions frontalières avec le Laos ont repris."
    (match,) = matcher.match(article(title="Diplomatie", body=body))
    assert match.alias == "frontalières"
    assert [span.term for span in match.spans] == ["frontalières", "Laos"]


def test_unsaved_article_gets_article_id_zero() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query="Chine")])
    (match,) = matcher.match(article(body="la Chine", pk=None))
    assert match.article_id == 0


def test_long_sentence_snippet_is_cut_around_the_hit() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query="Chine")])
    body = " ".join(["mot"] * 200) + " la Chine " + " ".join(["mot"] * 200)
    (match,) = matcher.match(article(body=body))
    assert len(match.snippet.text) <= 300
    ((a, b),) = match.snippet.highlights
    assert match.snippet.text[a:b] == "Chine"


def test_matches_come_in_rule_order() -> None:
    rules = [Rule(id=f"r{i}", name="r", query=q) for i, q in enumerate(["Laos", "Chine", "Hanoi"])]
    found = compile_rules(rules).match(article(body="Hanoi, la Chine et le Laos"))
    assert [m.rule_id for m in found] == ["r0", "r1", "r2"]


def test_presearch_skips_rules_whose_words_are_absent() -> None:
    rules = [Rule(id=f"r{i}", name="r", query=f'lieu{i} AND "Chine mot{i}"') for i in range(500)]
    matcher = compile_rules(rules)
    assert matcher.index.candidates({"lieu7", "chine"}) == [7]
    (match,) = matcher.match(article(body="le lieu7 de Chine mot7"))
    assert match.rule_id == "r7"


def _frequencies(*texts: str) -> WordFrequencies:
    return word_shares(article(body=text) for text in texts)


def test_archive_word_shares_key_a_rule_under_its_rare_word() -> None:
    rules = [Rule(id="r", name="r", query="Kelbaro AND exportation")]
    # the guess favours the longer word; the archive shows it is in every article
    assert compile_rules(rules).index.keys_of(0) == {("w", "exportation")}
    archive = _frequencies("l'exportation de riz", "exportations et exportation", "exportation")
    matcher = compile_rules(rules, frequencies=archive)
    assert matcher.index.keys_of(0) == {("w", "kelbaro")}
    assert matcher.index.candidates({"exportation", "riz"}) == []
    (match,) = matcher.match(article(body="Kelbaro relance l'exportation"))
    assert match.alias == "Kelbaro"


def test_word_shares_of_prefixes_suffixes_and_neighbours() -> None:
    archive = _frequencies("frontiere frontaliere", "frontaliers du nord", "le nord", "rien")
    assert archive.cost(("w", "nord")) == 0.5
    assert archive.cost(("p", "fronta")) == 0.5  # "frontaliere" and "frontaliers", a quarter each
    assert archive.cost(("e", "front")) == 0.75
    assert archive.cost(("s", "iere")) == 0.5  # "frontiere", "frontaliere"
    assert archive.cost(("w", "absent")) == archive.cost(("p", "zzz")) == 0.5 / 4
    # "nord" then a word starting "du": no rarer than its rarer side
    assert archive.cost(("f", "nord\tdu")) == 0.25


def test_rule_matching_articles_by_absence_is_refused() -> None:
    with pytest.raises(RuleRefusedError):
        compile_rules([Rule(id="r", name="r", query="Chine OR NOT Laos")])


def test_compile_rules_raises_the_rule_error() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rules(
            [Rule(id="ok", name="o", query="Chine"), Rule(id="bad", name="b", query="(a")]
        )
    assert caught.value.rule_id == "bad"


def test_check_rules_reports_every_bad_rule() -> None:
    rules = [
        Rule(id="a", name="a", query="(Chine"),
        Rule(id="b", name="b", query="*ine"),
        Rule(id="c", name="c", query="Chine"),
    ]
    assert [e.rule_id for e in check_rules(rules)] == ["a", "b"]


def test_explain_says_the_proximity_failed() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query='"Tô Lâm Chine"~2 AND Hanoï')])
    lines = matcher.explain("r", article(body="Tô Lâm a reçu à Hanoï l'ambassadeur de Chine"))
    assert "does not match" in lines[0]
    assert any("phrase 'to lam chine' not within 2 words" in line for line in lines)
    # the words found in their sentence, not offsets
    found = "word 'hanoi' (Hanoï): found: body « Tô Lâm a reçu à »Hanoï« l'ambassadeur de Chine »"
    assert any(line.endswith(found) for line in lines), lines


def test_explain_names_the_office_dates() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query="entity:to_lam")], WATCHLISTS)
    item = article(body="le secrétaire général du PCV", published=date(2020, 1, 1))
    lines = matcher.explain("r", item)
    assert any("only counts from 2024-08-03; article published 2020-01-01" in x for x in lines)
    assert matcher.explain("nope", item) == ["unknown rule 'nope'"]


def test_explain_says_in_plain_words_why_an_article_was_skipped() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query="Chine AND Laos")])
    lines = matcher.explain("r", article(body="le Japon"))
    assert lines[1].startswith("this article contains none of the rule's required words: ")
    assert "chine" in lines[1] or "laos" in lines[1]
    assert not any("presearch" in line for line in lines)
    selected = matcher.explain("r", article(body="le Laos et le Japon"))
    assert not any("required words" in line for line in selected)  # it was checked in full


def test_recompiling_after_an_edit_parses_only_the_changed_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []

    def counting_parse(rule_id: str, query: str, watchlists: object) -> object:
        parsed.append(rule_id)
        return parse_rule(rule_id, query, watchlists)  # type: ignore[arg-type]

    monkeypatch.setattr("alerts.matcher.parse_rule", counting_parse)
    rules = [
        Rule(id=f"edit{i}", name="r", query=f"edit{i} AND (Chine OR Laos)") for i in range(500)
    ]
    compile_rules(rules, WATCHLISTS)
    assert len(parsed) == 500
    rules[7] = Rule(id="edit7", name="r", query="edit7 AND Cambodge")
    matcher = compile_rules(rules, WATCHLISTS)
    assert parsed[500:] == ["edit7"]
    assert [m.rule_id for m in matcher.match(article(body="edit7 au Cambodge"))] == ["edit7"]


def test_recompiling_after_an_edit_uses_the_new_query() -> None:
    item = article(body="la Chine et le Laos")
    before = compile_rules([Rule(id="r", name="r", query="Japon")])
    after = compile_rules([Rule(id="r", name="r", query="Laos")])
    assert (before.match(item), [m.rule_id for m in after.match(item)]) == ([], ["r"])
    renamed = compile_rules([Rule(id="r", name="r", query="entity:to_lam")], WATCHLISTS)
    changed = [w.model_copy(update={"entities": []}) for w in WATCHLISTS]
    with pytest.raises(RuleRefusedError):
        compile_rules([Rule(id="r", name="r", query="entity:to_lam")], changed)
    assert renamed.match(article(body="To Lam"))


def test_snippet_prefers_a_text_hit_over_the_title() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query='"Pham Minh Chinh"')])
    body = "Le matin, une réunion. Ensuite, Pham Minh Chinh a visité le port de Haiphong. Fin."
    (match,) = matcher.match(article(title="Pham Minh Chinh à Haiphong", body=body))
    assert match.zones == ("title", "body")
    assert match.spans[0].zone == "title"  # the evidence keeps every hit, title first
    assert match.snippet.text == "Ensuite, Pham Minh Chinh a visité le port de Haiphong."
    assert [match.snippet.text[a:b] for a, b in match.snippet.highlights] == ["Pham Minh Chinh"]


def test_snippet_falls_back_to_the_title_when_only_the_title_hits() -> None:
    matcher = compile_rules([Rule(id="r", name="r", query="Haiphong")])
    (match,) = matcher.match(article(title="Un port à Haiphong", body="Rien ici."))
    assert match.snippet.text == "Un port à Haiphong"
    assert [match.snippet.text[a:b] for a, b in match.snippet.highlights] == ["Haiphong"]
