"""A digest rendered once and personalised per subscriber is the full render, byte for byte.

Pure: jobs are built in memory and rendered twice, through the run's frame
cache (``alerts.rendering``, ``alerts.personalise``) and in full (the
reference every other path uses), under names and addresses that the HTML
must escape or that would break a header.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from alerts.digest import digest_window, render_digest
from alerts.personalise import fits, frame, html_value
from alerts.rendering import Context, FrameCache, Job, render_job
from config import Config
from store.records import Article, DeliveryDraft, Match, Subscriber
from tests.alerts.delivery_support import article, make_config, match, utc

NOW = utc(2026, 11, 22, 0, 30)
NAMES = [
    "",
    "Analyste",
    "Nguyễn Thị Hà",
    "Zoë\u00a0& fils d'Ô",
    "<script>alert(1)</script>",
    'Lê "Hà" <b>',
    'Lê "Hà"',
    "Ligne\r\nBcc: espion@example.org",
    "=?utf-8?q?faux?=",
    "Trần\u2028Văn",
    "x" * 300,
]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def _pairs() -> tuple[tuple[Match, Article], ...]:
    pairs = []
    for n in range(6):
        title = f"Dépêche {n} : <b>Tô Lâm</b> & la « mer Orientale » ; 100 %"
        item = article(str(n), NOW - timedelta(hours=3 + n), title=title, id=n + 1)
        pairs.append((match(n + 1, "to_lam" if n % 2 else "chine"), item))
    return tuple(pairs)


def _job(n: int, name: str, *, nonce: str = "nonce1", kind: str = "daily") -> Job:
    subscriber = Subscriber(
        email=f"abonne{n}@example.org",
        rules=("to_lam", "chine"),
        name=name,
        timezone="Europe/Paris",
        id=n + 1,
        feed_nonce=nonce,
        frequency="daily" if kind == "daily" else "immediate",
    )
    window = digest_window(subscriber, NOW) if kind == "daily" else None
    if window is None:  # an alert's look-back window
        from alerts.labels import Window

        window = Window(NOW - timedelta(days=2), NOW + timedelta(days=1), subscriber.timezone)
    return Job(subscriber, "daily" if kind == "daily" else "alert", window, _pairs())


@pytest.mark.parametrize("kind", ["daily", "alert"])
def test_personalised_emails_equal_the_full_render_byte_for_byte(config: Config, kind: str) -> None:
    context = Context(config, (), NOW)
    cache = FrameCache()
    for n, name in enumerate(NAMES):
        for nonce in ("", "nonce1"):
            job = _job(n, name, nonce=nonce, kind=kind)
            cached, full = render_job(context, job, cache), render_job(context, job)
            assert isinstance(cached, DeliveryDraft) and isinstance(full, DeliveryDraft)
            assert cached == full, (name, nonce)
    # one rendering per shape (with or without a name, with or without a feed link)
    assert cache.rendered == 4
    assert cache.hits == 2 * len(NAMES) - 4


def test_hostile_names_stay_escaped_and_out_of_the_headers(config: Config) -> None:
    context = Context(config, (), NOW)
    cache = FrameCache()
    render_job(context, _job(0, "Analyste"), cache)  # the frame exists before them
    for n, name in enumerate(NAMES[4:8], start=4):
        made = render_job(context, _job(n, name), cache)
        assert isinstance(made, DeliveryDraft)
        parsed = message_from_bytes(made.message, policy=policy.default)
        assert parsed["Bcc"] is None and len(parsed.get_all("To")) == 1
        html = parsed.get_body(("html",)).get_content()
        assert "<script>" not in html and 'Hà" <b>' not in html
        assert "Bonjour &lt;script&gt;" in html or n != 4
    assert "&lt;b&gt;Tô Lâm&lt;/b&gt;" in html  # article text too


def test_many_subscribers_of_one_content_render_it_once(config: Config) -> None:
    context = Context(config, (), NOW)
    cache = FrameCache()
    made = [render_job(context, _job(n, f"Abonné {n}"), cache) for n in range(50)]
    assert cache.rendered == 1 and cache.hits == 49
    texts = {m.message for m in made if isinstance(m, DeliveryDraft)}
    assert len(texts) == 50  # each its own name, links and Message-ID
    body = message_from_bytes(made[7].message, policy=policy.default)  # type: ignore[union-attr]
    assert "Abonné 7" in body.get_body(("plain",)).get_content()


def test_other_content_is_rendered_apart(config: Config) -> None:
    context = Context(config, (), NOW)
    cache = FrameCache()
    job = _job(0, "A")
    render_job(context, job, cache)
    english = replace(job, subscriber=replace(job.subscriber, language="en"))
    fewer = replace(job, pairs=job.pairs[1:])
    paused = replace(job, subscriber=replace(job.subscriber, rules=("to_lam",)))
    earlier = replace(job, window=replace(job.window, start=job.window.start - timedelta(hours=1)))
    for other in (english, fewer, paused, earlier):
        assert render_job(context, other, cache) == render_job(context, other)
    assert cache.rendered == 5


def test_a_template_that_transforms_a_value_is_rendered_in_full(config: Config) -> None:
    job = _job(0, "Analyste")
    digest_job = render_job(Context(config, (), NOW), job)
    assert isinstance(digest_job, DeliveryDraft)

    def shouting(digest, links):  # type: ignore[no-untyped-def]
        rendered = render_digest(digest, brand="B", **links)
        return replace(rendered, html=rendered.html.upper())

    from alerts.rendering import _digest

    digest = _digest(Context(config, (), NOW), job)
    values = {"name": "Analyste", "unsubscribe_url": "https://u.example/x", "manage_url": ""}
    assert frame(digest, values, shouting) is None
    assert frame(digest, values, lambda d, links: render_digest(d, brand="B", **links))


def test_only_values_the_html_keeps_as_they_are_are_substituted() -> None:
    assert fits({"name": "Zoë\u00a0& fils d'Ô", "url": "https://x.example/a?b=1&c=2"})
    for bad in ('"', "<", ">", "\r", "\x00", "\t"):
        assert not fits({"name": f"a{bad}b"})
    assert html_value("a & b\u00a0c") == "a &amp; b&nbsp;c"
