"""The offline demo end to end: real spiders over the sample site, real store, .eml out."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from config import load_config
from demo import run as demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoResult:
    return demo.run_demo(tmp_path_factory.mktemp("demo"))


def _messages(result: demo.DemoResult) -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in result.mails
    ]


def test_demo_succeeds_and_reports_where_things_are(demo_result: demo.DemoResult) -> None:
    assert demo_result.ok, demo_result.describe()
    assert demo_result.articles >= 10
    assert demo_result.matches >= 3
    described = demo_result.describe()
    assert str(demo_result.workdir / "outbox") in described


def test_demo_digests_reach_each_subscriber(demo_result: demo.DemoResult) -> None:
    recipients = {str(message["To"]) for message in _messages(demo_result)}
    assert any("analyste@vnawatch.example" in to for to in recipients)
    assert any("press.office@vnawatch.example" in to for to in recipients)


def test_demo_digest_is_french_multipart_with_links(demo_result: demo.DemoResult) -> None:
    (french,) = [m for m in _messages(demo_result) if "analyste@" in str(m["To"])]
    subject = str(french["Subject"])
    assert subject.startswith("[Veille VNA (démo)] ")
    assert " articles — " in subject and "Tô Lâm" in subject
    assert french.get_content_type() == "multipart/alternative"
    html = french.get_body(("html",))
    text = french.get_body(("plain",))
    assert html is not None and text is not None
    html_content = html.get_content()
    assert demo_result.site_url in html_content  # links point at the served articles
    assert "Tô Lâm" in text.get_content() or "To Lam" in text.get_content()
    assert french["List-Unsubscribe"]


def test_demo_writes_html_beside_each_eml(demo_result: demo.DemoResult) -> None:
    for path in demo_result.mails:
        assert path.with_suffix(".html").is_file()


def test_shift_dates_moves_every_format() -> None:
    text = (
        '<time datetime="2026-11-23T09:15:00+07:00">23/11/2026</time> '
        "<pubDate>Mon, 23 Nov 2026 09:15:00 +0700</pubDate> Hanoï, le 23 novembre, 1er décembre"
    )
    shifted = demo.shift_dates(text, timedelta(days=9))
    assert 'datetime="2026-12-02T09:15:00+07:00"' in shifted
    assert ">02/12/2026<" in shifted
    assert "Wed, 02 Dec 2026 09:15:00" in shifted
    assert "le 2 décembre" in shifted
    assert "10 décembre" in shifted
    assert demo.shift_dates(text, timedelta(0)) == text


def test_prepare_site_copies_without_touching_the_bundle(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in demo.SAMPLE_SITE.rglob("*") if p.is_file()}
    site = demo.prepare_site(tmp_path / "site", demo.SAMPLE_NEWEST_DAY + timedelta(days=31))
    assert {p.relative_to(site) for p in site.rglob("*") if p.is_file()} == {
        p.relative_to(demo.SAMPLE_SITE) for p in before
    }
    assert all(p.read_bytes() == content for p, content in before.items())


def test_a_second_demo_in_the_same_folder_says_it_wrote_nothing_new(tmp_path: Path) -> None:
    first = demo.run_demo(tmp_path / "demo")
    assert first.ok and first.mails, first.describe()
    again = demo.run_demo(tmp_path / "demo")
    assert again.ok, again.describe()
    assert again.mails == [] and again.earlier == first.mails
    described = again.describe()
    assert "none written: an earlier run in this folder wrote these 2" in described, described
    assert "2 written" not in described


def test_the_shipped_border_rule_finds_border_stories_only(demo_result: demo.DemoResult) -> None:
    from typer.testing import CliRunner

    from cli import app

    config = str(demo_result.workdir / "config.yaml")
    query = next(r.query for r in load_config(Path(config)).rules if r.id == "frontiere")
    result = CliRunner().invoke(app, ["rule", "test", query, "--since", "60d", "-c", config])
    assert result.exit_code == 0, result.stderr
    assert "plaide pour une frontière Vietnam-Chine" in result.stdout
    assert "postes frontaliers de Lang Son" in result.stdout
    # a growth story naming "zones économiques frontalières" in passing is not a border story
    assert "croissance à deux chiffres" not in result.stdout


def test_demo_serve_keeps_every_link_of_the_digests_answering(tmp_path: Path) -> None:
    import re
    import signal
    import sys
    import urllib.error
    import urllib.request

    from tests.processes import SchedulerProcess, wait_for

    def status(link: str) -> int | None:
        try:
            with urllib.request.urlopen(link, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as answer:
            return answer.code
        except urllib.error.URLError:  # not listening yet
            return None

    command = [sys.executable, "-m", "cli", "demo", "--serve", "--dir", str(tmp_path / "demo")]
    process = SchedulerProcess(tmp_path, tmp_path / "demo.log", command=command)
    try:
        process.wait_log("Ctrl-C stops", timeout=120)
        pages = sorted((tmp_path / "demo" / "outbox").glob("*.html"))
        assert pages, process.log
        html = pages[0].read_text(encoding="utf-8").replace("&amp;", "&")
        links = set(re.findall(r'href="(http://127\.0\.0\.1:\d+/[^"]+)"', html))
        served = {
            kind for kind in ("manage", "unsubscribe") if any(f"/{kind}/" in x for x in links)
        }
        assert served == {"manage", "unsubscribe"}, links  # the web app's links, served here
        assert any(link.endswith((".vnp", ".html")) for link in links)  # and the articles'
        manage = next(link for link in links if "/manage/" in link)
        wait_for(lambda: status(manage), 30, "the web app", context=lambda: process.log)
        assert {link: status(link) for link in links} == dict.fromkeys(links, 200)
        process.signal(signal.SIGINT)
        assert process.wait_exit(30) == 0, process.log
    finally:
        process.stop()
