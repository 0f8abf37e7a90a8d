"""The pure digest stage: windows, grouping, near-duplicates, rendering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.dedupe import cluster_duplicates
from alerts.digest import (
    Window,
    build_digest,
    digest_window,
    last_send_instant,
    render_digest,
    snippet_parts,
)
from alerts.labels import Formatter
from config import Config
from store.records import Article, Match, Snippet, SourceState, Subscriber
from tests.alerts.delivery_support import HANOI, article, make_config, match, utc

PARIS_DAILY = Subscriber(
    email="paris@example.org",
    rules=("to_lam",),
    timezone="Europe/Paris",
    send_time="08:00",
    id=1,
)
HANOI_DAILY = Subscriber(email="a@example.org", rules=("to_lam", "mer_orientale", "chine"), id=2)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def _stored(item: Article, pk: int) -> Article:
    return replace(item, id=pk, first_seen_at=item.published_at.astimezone(UTC))


def _digest(config: Config, pairs: list[tuple[Match, Article]], **kw: object):  # type: ignore[no-untyped-def]
    window = kw.pop(
        "window", Window(utc(2026, 11, 21, 0), utc(2026, 11, 22, 0), "Asia/Ho_Chi_Minh")
    )
    subscriber = kw.pop("subscriber", HANOI_DAILY)
    return build_digest(
        "daily",
        subscriber,  # type: ignore[arg-type]
        pairs,
        config,
        window=window,  # type: ignore[arg-type]
        states=kw.pop("states", []),  # type: ignore[arg-type]
        now=utc(2026, 11, 22, 0, 5),
    )


# --- windows ----------------------------------------------------------------


def test_window_ends_at_last_send_time_in_subscriber_zone() -> None:
    now = utc(2026, 11, 22, 3, 0)  # 10:00 in Hanoi
    window = digest_window(HANOI_DAILY, now)
    assert window == Window(utc(2026, 11, 21, 0), utc(2026, 11, 22, 0), "Asia/Ho_Chi_Minh")


def test_window_not_due_before_send_time_once_covered() -> None:
    covered = replace(HANOI_DAILY, covered_until=utc(2026, 11, 22, 0))
    assert digest_window(covered, utc(2026, 11, 22, 23, 59)) is None
    assert digest_window(covered, utc(2026, 11, 23, 0)) is not None


def test_window_starts_where_previous_ended_after_an_outage() -> None:
    covered = replace(HANOI_DAILY, covered_until=utc(2026, 11, 18, 0))
    window = digest_window(covered, utc(2026, 11, 22, 1))
    assert window is not None
    assert (window.start, window.end) == (utc(2026, 11, 18, 0), utc(2026, 11, 22, 0))


def test_window_spans_25_hours_when_paris_leaves_summer_time() -> None:
    # 25 Oct 2026: 03:00 CEST -> 02:00 CET; 08:00 local is 06:00 UTC, then 07:00 UTC
    window = digest_window(PARIS_DAILY, utc(2026, 10, 25, 9, 0))
    assert window is not None
    assert window.start == utc(2026, 10, 24, 6, 0)
    assert window.end == utc(2026, 10, 25, 7, 0)


def test_weekly_window_ends_on_the_subscriber_weekday() -> None:
    weekly = replace(HANOI_DAILY, frequency="weekly", weekday="monday")
    window = digest_window(weekly, utc(2026, 11, 26, 12))  # a Thursday
    assert window is not None
    assert window.end == utc(2026, 11, 23, 0)  # Monday 07:00 in Hanoi
    assert window.start == window.end - timedelta(days=7)


def test_immediate_subscribers_have_no_digest_window() -> None:
    assert digest_window(replace(HANOI_DAILY, frequency="immediate"), utc(2026, 11, 22)) is None


def test_send_instant_in_a_spring_gap_is_resolved() -> None:
    gap = replace(PARIS_DAILY, send_time="02:30")  # 29 Mar 2026 02:30 does not exist in Paris
    instant = last_send_instant(gap, utc(2026, 3, 29, 12))
    assert instant.date() == datetime(2026, 3, 29).date()


# --- building ---------------------------------------------------------------


def test_article_matched_by_several_rules_appears_once_listing_rules(config: Config) -> None:
    item = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    pairs = [(match(1, "chine", "Chine"), item), (match(1, "to_lam"), item)]
    digest = _digest(config, pairs)
    assert digest.count == 1
    (group,) = digest.groups
    assert group.rule_id == "to_lam"  # config order, not match order
    assert group.entries[0].rule_names == ("Tô Lâm", "Chine")
    assert group.entries[0].aliases == ("Tô Lâm", "Chine")


def test_same_dispatch_on_two_outlets_is_one_entry_with_both_links(config: Config) -> None:
    vnp = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    cvn = _stored(
        article(
            "900",
            datetime(2026, 11, 21, 16, tzinfo=HANOI),
            source="lecourrier",
            url="https://lecourrier.vn/politique/900.html",
            title="Le dirigeant Tô Lâm reçoit une délégation",
        ),
        2,
    )
    digest = _digest(config, [(match(1), vnp), (match(2, "mer_orientale"), cvn)])
    (entry,) = digest.entries
    assert entry.article.source == "vietnamplus"  # published first
    assert [link.source_name for link in entry.also] == ["Le Courrier du Vietnam"]
    assert entry.rule_names == ("Tô Lâm", "Mer Orientale")
    assert digest.article_pks == (1, 2)
    rendered = render_digest(digest, brand="Veille VNA", unsubscribe_url="u")
    assert rendered.text.count("Tô Lâm reçoit une délégation") == 1
    assert "aussi dans Le Courrier du Vietnam\u00a0: https://lecourrier.vn/politique/900.html" in (
        rendered.text
    )
    assert 'aussi dans <a href="https://lecourrier.vn/politique/900.html"' in rendered.html
    assert "Le dirigeant Tô Lâm" not in rendered.html  # the copy's own title is not repeated


def test_different_stories_are_not_collapsed(config: Config) -> None:
    one = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    other = _stored(
        article(
            "2",
            datetime(2026, 11, 21, 15, tzinfo=HANOI),
            source="lecourrier",
            title="La mer Orientale au cœur d'un colloque",
            body="Un colloque international sur le droit de la mer s'est tenu à Da Nang "
            "avec des chercheurs de dix pays et des juristes spécialisés.",
        ),
        2,
    )
    assert len(cluster_duplicates([one, other])) == 2
    assert _digest(config, [(match(1), one), (match(2), other)]).count == 2


def test_two_articles_of_one_outlet_are_never_merged() -> None:
    one = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    two = _stored(article("2", datetime(2026, 11, 21, 15, tzinfo=HANOI), title=one.title), 2)
    assert len(cluster_duplicates([one, two])) == 2


def test_article_published_before_window_is_flagged_late(config: Config) -> None:
    late = _stored(article("1", datetime(2026, 11, 20, 9, tzinfo=HANOI)), 1)
    digest = _digest(config, [(match(1), late)])
    assert digest.entries[0].late


def test_rules_the_subscriber_dropped_are_ignored(config: Config) -> None:
    item = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    only_lam = replace(HANOI_DAILY, rules=("to_lam",))
    assert _digest(config, [(match(1, "chine"), item)], subscriber=only_lam).is_empty


def test_snippet_parts_merge_overlapping_highlights() -> None:
    parts = snippet_parts(Snippet("abcdef", ((1, 3), (2, 4), (5, 9))))
    assert parts == [("a", False), ("bcd", True), ("e", False), ("f", True)]


# --- rendering --------------------------------------------------------------


def test_subject_counts_articles_and_names_rules_and_date(config: Config) -> None:
    one = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    two = _stored(
        article("2", datetime(2026, 11, 21, 15, tzinfo=HANOI), title="Autre", body="Autre"), 2
    )
    digest = _digest(config, [(match(1), one), (match(2, "mer_orientale"), two)])
    rendered = render_digest(digest, brand="Veille VNA", unsubscribe_url="https://u/x")
    assert rendered.subject == "[Veille VNA] 2 articles — Tô Lâm, Mer Orientale — 22 novembre 2026"
    assert "du 21 nov. 07:00 au 22 nov. 07:00, heure de Hanoï" in rendered.text


def test_html_escapes_article_text(config: Config) -> None:
    hostile = _stored(
        article(
            "1",
            datetime(2026, 11, 21, 14, tzinfo=HANOI),
            title="<script>alert('x')</script> Tô Lâm",
            section='"><img src=x onerror=alert(1)>',
        ),
        1,
    )
    snippet = Snippet("<b>Tô Lâm</b> & co", ((3, 9),))
    pairs = [(replace(match(1), snippet=snippet), hostile)]
    rendered = render_digest(_digest(config, pairs), brand="Veille VNA", unsubscribe_url="u")
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(" in rendered.html
    assert "<img src=x" not in rendered.html
    assert '&lt;b&gt;<mark class="hit"' in rendered.html
    assert "&amp; co" in rendered.html
    assert "<script>alert('x')</script> Tô Lâm" in rendered.text  # plain text is not HTML


def test_html_has_inlined_styles_and_highlight(config: Config) -> None:
    item = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    rendered = render_digest(
        _digest(config, [(match(1), item)]), brand="Veille VNA", unsubscribe_url="u"
    )
    assert 'style="' in rendered.html and "<mark" in rendered.html
    assert 'href="https://fr.vietnamplus.vn/article-post1.vnp"' in rendered.html
    # outlet, date in the reader's zone, section, rules and the alias that fired
    assert "VietnamPlus</span> · 21 nov. 2026, 14:00 · Politique" in rendered.html
    assert "terme trouvé&nbsp;:</span> <b>Tô Lâm</b>" in rendered.html
    assert "«\u00a0Tô Lâm\u00a0»" in rendered.text  # French spacing inside guillemets


def test_several_terms_found_are_labelled_in_the_plural(config: Config) -> None:
    item = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    pairs = [(match(1), item), (match(1, "chine", alias="Chine"), item)]
    rendered = render_digest(_digest(config, pairs), brand="Veille VNA", unsubscribe_url="u")
    assert "termes trouvés&nbsp;:</span> <b>Tô Lâm, Chine</b>" in rendered.html
    assert "termes trouvés\u00a0: Tô Lâm, Chine" in rendered.text
    assert "terme trouvé\u00a0:" not in rendered.text


def test_the_term_found_is_shown_as_written_with_the_alias_beside_it(config: Config) -> None:
    from alerts.matcher import compile_rules

    body = "Hanoï (VNA) – Le dirigeant To Lam a reçu une délégation chinoise."
    title = "Le dirigeant reçoit une délégation"
    item = _stored(
        article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI), title=title, body=body), 1
    )
    (found,) = compile_rules([config.rule("to_lam")], config.watchlists).match(item)
    rendered = render_digest(
        _digest(config, [(found, item)]), brand="Veille VNA", unsubscribe_url="u"
    )
    assert "terme trouvé&nbsp;:</span> <b>To Lam / Tô Lâm</b>" in rendered.html
    # written as the alias: shown once
    same = _stored(article("2", datetime(2026, 11, 21, 15, tzinfo=HANOI)), 2)
    (exact,) = compile_rules([config.rule("to_lam")], config.watchlists).match(same)
    html = render_digest(
        _digest(config, [(exact, same)]), brand="Veille VNA", unsubscribe_url="u"
    ).html
    assert "terme trouvé&nbsp;:</span> <b>Tô Lâm</b>" in html


def test_title_match_highlights_the_title_and_shows_the_summary(config: Config) -> None:
    title = "Tô Lâm <reçoit> une délégation"
    item = _stored(
        article(
            "1",
            datetime(2026, 11, 21, 14, tzinfo=HANOI),
            title=title,
            summary="Le chapô de la dépêche & sa suite. " * 20,
        ),
        1,
    )
    on_title = replace(match(1), zones=("title",), snippet=Snippet(title, ((0, 6),)))
    rendered = render_digest(
        _digest(config, [(on_title, item)]), brand="Veille VNA", unsubscribe_url="u"
    )
    body = rendered.html.split("<body", 1)[1]
    assert body.count("une délégation") == 1  # the title is not repeated as a snippet
    assert '<mark class="hit"' in body.split('class="title"', 1)[1].split("</a>", 1)[0]
    assert "&lt;reçoit&gt;" in body and "<reçoit>" not in body
    assert "Le chapô de la dépêche &amp; sa suite." in body
    entry_text = rendered.text.split("== Tô Lâm (1) ==", 1)[1]
    assert entry_text.count("une délégation") == 1
    lead = next(line for line in entry_text.splitlines() if "Le chapô" in line).strip()
    assert lead.endswith(" …") and len(lead) <= 260


def test_french_spacing_in_article_text_never_breaks_before_a_mark(config: Config) -> None:
    item = _stored(
        article(
            "1",
            datetime(2026, 11, 21, 14, tzinfo=HANOI),
            title="Accord « version 3.0 » : signé ! +20 %",
        ),
        1,
    )
    snippet = Snippet("Mer Orientale : des experts « inquiets »", ((0, 13),))
    pairs = [(replace(match(1), snippet=snippet), item)]
    rendered = render_digest(_digest(config, pairs), brand="Veille VNA", unsubscribe_url="u")
    assert "Accord «&nbsp;version 3.0&nbsp;»&nbsp;: signé&nbsp;! +20&nbsp;%" in rendered.html
    assert "Mer Orientale</mark>&nbsp;: des experts «&nbsp;inquiets&nbsp;»" in rendered.html
    assert "* Accord «\u00a0version 3.0\u00a0»\u00a0: signé\u00a0!" in rendered.text
    assert "«\u00a0Mer Orientale\u00a0»\u00a0: des experts" in rendered.text


def test_dates_follow_paris_time_across_the_dst_change(config: Config) -> None:
    window = digest_window(PARIS_DAILY, utc(2026, 10, 25, 9))
    assert window is not None
    summer = _stored(article("1", utc(2026, 10, 24, 10).astimezone(HANOI)), 1)
    winter = _stored(
        article("2", utc(2026, 10, 25, 5).astimezone(HANOI), title="Autre", body="Autre"), 2
    )
    digest = _digest(
        config, [(match(1), summer), (match(2), winter)], window=window, subscriber=PARIS_DAILY
    )
    rendered = render_digest(digest, brand="Veille VNA", unsubscribe_url="u")
    assert "du 24 oct. 08:00 au 25 oct. 08:00, heure de Paris" in rendered.text
    assert "24 oct. 2026, 12:00" in rendered.text  # UTC+2
    assert "25 oct. 2026, 06:00" in rendered.text  # UTC+1
    assert rendered.subject.endswith("— 25 octobre 2026")


def test_english_subscriber_gets_english_labels(config: Config) -> None:
    item = _stored(article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI)), 1)
    english = replace(HANOI_DAILY, language="en")
    rendered = render_digest(
        _digest(config, [(match(1), item)], subscriber=english), brand="VNA", unsubscribe_url="u"
    )
    assert rendered.subject == "[VNA] 1 article — Tô Lâm — 22 November 2026"
    assert "from 21 Nov 07:00 to 22 Nov 07:00, Hanoi time" in rendered.text
    assert "Unsubscribe" in rendered.html


def test_late_entries_are_marked_in_both_parts(config: Config) -> None:
    late = _stored(article("1", datetime(2026, 11, 20, 9, tzinfo=HANOI)), 1)
    rendered = render_digest(_digest(config, [(match(1), late)]), brand="V", unsubscribe_url="u")
    assert "arrivé en retard" in rendered.text and "arrivé en retard" in rendered.html


def test_footer_reports_source_health(config: Config) -> None:
    states = [
        SourceState(
            "vietnamplus", last_run_at=utc(2026, 11, 22), last_success_at=utc(2026, 11, 22)
        ),
        SourceState(
            "lecourrier",
            last_run_at=utc(2026, 11, 22),
            last_success_at=utc(2026, 11, 20, 7),
            consecutive_failures=4,
        ),
    ]
    rendered = render_digest(_digest(config, [], states=states), brand="V", unsubscribe_url="u")
    assert (
        "Sources\u00a0: VietnamPlus\u00a0OK · "
        "Le Courrier du Vietnam\u00a0en difficulté depuis le 20 nov. 14:00" in rendered.text
    )
    assert "en difficulté depuis le 20 nov. 14:00" in rendered.html
    assert "Aucun nouvel article" in rendered.text


def test_alert_html_escapes_article_text_too(config: Config) -> None:
    hostile = _stored(
        article("1", datetime(2026, 11, 21, 14, tzinfo=HANOI), title="<script>x()</script>"), 1
    )
    alert = build_digest(
        "alert",
        HANOI_DAILY,
        [(match(1), hostile)],
        config,
        window=None,
        states=[],
        now=utc(2026, 11, 22),
    )
    rendered = render_digest(alert, brand="Veille VNA", unsubscribe_url="u")
    assert "<script>" not in rendered.html and "&lt;script&gt;x()" in rendered.html
    assert rendered.subject == "[Veille VNA] Alerte : <script>x()</script> — Tô Lâm"


def test_copy_of_a_dispatch_already_sent_is_suppressed(config: Config) -> None:
    sent = _stored(article("1", datetime(2026, 11, 20, 14, tzinfo=HANOI)), 1)
    copy = _stored(article("900", datetime(2026, 11, 21, 9, tzinfo=HANOI), source="lecourrier"), 2)
    fresh = _stored(
        article("2", datetime(2026, 11, 21, 10, tzinfo=HANOI), title="Autre", body="Autre"), 3
    )
    digest = build_digest(
        "daily",
        HANOI_DAILY,
        [(match(2), copy), (match(3), fresh)],
        config,
        window=Window(utc(2026, 11, 21, 0), utc(2026, 11, 22, 0), "Asia/Ho_Chi_Minh"),
        states=[],
        now=utc(2026, 11, 22),
        already_sent=[sent],
    )
    assert [e.article.id for e in digest.entries] == [3]
    assert digest.suppressed_pks == (2,) and digest.article_pks == (2, 3)


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Asia/Ho_Chi_Minh", "du 21 nov. 07:00 au 22 nov. 07:00, heure de Hanoï"),
        ("Europe/Moscow", "du 21 nov. 03:00 au 22 nov. 03:00, heure de Moscou"),
        ("America/Montreal", "du 20 nov. 19:00 au 21 nov. 19:00, heure de Montreal"),
        ("UTC", "du 21 nov. 00:00 au 22 nov. 00:00 (UTC)"),
    ],
)
def test_window_label_names_the_readers_city(zone: str, label: str) -> None:
    window = Window(utc(2026, 11, 21, 0), utc(2026, 11, 22, 0), zone)
    assert Formatter("fr", zone).window(window) == label
