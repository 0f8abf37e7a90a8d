"""End to end in headless Chromium (Debian's package, driven by Playwright).

A real uvicorn on 127.0.0.1, a real aiosmtpd, a real SQLite store: subscribe
with a query and see its preview, confirm from the mailed link, get a digest
from the delivery jobs, change the frequency on the manage page, unsubscribe
with the one-click POST of the digest's List-Unsubscribe header, and check
that nothing more is sent. Screenshots of each page, at desktop and phone
width, go to $VNAWATCH_SCREENSHOTS (else the test's tmp dir).
"""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from alerts.digest import digest_window
from alerts.jobs import (
    match_new_articles,
    queue_due_digests,
    queue_immediate_alerts,
    send_pending,
)
from config import SECRET_KEY_ENV, WEB_PASSWORD_ENV
from store import Store
from tests.alerts.delivery_support import (
    RecordingHandler,
    article,
    free_port,
    parse,
    smtp_server,
)
from tests.web.support import LINK, web_config
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
EMAIL = "journaliste@example.org"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _require_chromium() -> Any:
    """Playwright's sync API, or a skip (a failure under CI=true) saying what is missing."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    else:
        try:
            from playwright import sync_api
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run under CI: {reason}")
        pytest.skip(reason)
    return sync_api


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VNAWATCH_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def live_server(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """uvicorn serving the app over the store; the config mails through aiosmtpd."""
    # the app and the delivery jobs sign with the same key, as in production
    monkeypatch.setenv(SECRET_KEY_ENV, "browser-test-secret-key-0123456789abcdef")
    handler = RecordingHandler()
    with smtp_server(handler) as smtp:
        port = free_port()
        config = web_config(
            tmp_path,
            backend="smtp",
            host="127.0.0.1",
            port=smtp.port,
            public_url=f"http://127.0.0.1:{port}",
        )
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(config, sqlite_store),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield {
                "base": f"http://127.0.0.1:{port}",
                "config": config,
                "store": sqlite_store,
                "smtp": handler,
            }
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def wait_for_mail(handler: RecordingHandler, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(handler.messages) < count:
        assert time.monotonic() < deadline, f"expected {count} mails, got {len(handler.messages)}"
        time.sleep(0.05)


def plain(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def in_thread(job: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a job outside Playwright's event loop (send_pending runs its own)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(job, *args, **kwargs).result()


def link(text: str, kind: str) -> str:
    return next(url for url in LINK.findall(text) if f"/{kind}/" in url)


def snap(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot at desktop width, then at phone width."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    # nothing wider than the phone screen: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus: it is reachable by keyboard."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reachable with Tab")


def test_subscribe_preview_confirm_digest_manage_unsubscribe(
    live_server: dict[str, Any], shots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = _require_chromium()
    monkeypatch.setenv(WEB_PASSWORD_ENV, "operator-pass")
    base, store, handler = live_server["base"], live_server["store"], live_server["smtp"]
    config = live_server["config"]
    now = datetime.now(UTC)
    for i, days in enumerate((1, 2, 2, 5)):
        published = now - timedelta(days=days, hours=i)
        store.save_article(article(f"70{i}", published), published)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport=DESKTOP, timezone_id="Asia/Tokyo", locale="fr-FR")
        page = context.new_page()
        errors: list[str] = []
        # script errors and CSP refusals; a 422 preview answer is logged too, and expected
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and "status of 422" not in m.text
                else None
            ),
        )

        # subscribe page: French by default, the zone guessed by the browser
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.input_value("#timezone") == "Asia/Tokyo"
        snap(page, shots, "01-subscribe")

        # keyboard only: Tab to each field, type, Space on a checkbox, Enter to send
        tab_to(page, "#email")
        page.keyboard.type(EMAIL)
        tab_to(page, "#name")
        page.keyboard.type("Journaliste")
        tab_to(page, "input[value=pham_minh_chinh]")
        page.keyboard.press("Space")
        tab_to(page, "#query")
        page.keyboard.type('"Tô Lâm" AND (délégation')
        page.wait_for_selector("#preview pre")  # the parse error, with a caret
        assert "colonne" in page.inner_text("#preview")
        snap(page, shots, "02-preview-error")
        page.keyboard.type(")")
        page.wait_for_selector("#preview mark")
        preview = page.inner_text("#preview")
        assert "4 articles sur 30 jours" in preview
        assert page.locator("#preview .bars span").count() == 30
        # the chart says what it shows: days under the bars, the busiest day's count
        assert page.locator("#preview .x-axis span").count() == 3
        assert "Articles par jour sur les 30 derniers jours" in preview
        assert re.search(
            r"\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.? \d{4}, \d\d:\d\d",
            page.inner_text("#preview .meta"),
        )
        assert page.inner_text("#preview mark").startswith("Tô Lâm")
        snap(page, shots, "03-preview")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("h1:has-text('Vérifiez')")
        snap(page, shots, "04-sent")

        # the confirmation mail; nothing else before confirming
        wait_for_mail(handler, 1)
        assert handler.messages[0][1] == [EMAIL]
        assert store.subscriber(EMAIL) is None
        page.goto(link(plain(handler.messages[0][2]), "confirm"))
        snap(page, shots, "05-confirm")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(".notice:has-text('confirmé')")
        snap(page, shots, "06-manage-confirmed")
        subscriber = store.subscriber(EMAIL)
        assert subscriber is not None and subscriber.timezone == "Asia/Tokyo"

        # a digest from the delivery jobs, for an article published inside its window
        due = digest_window(subscriber, now + timedelta(days=1))
        assert due is not None
        fresh = due.end - timedelta(hours=1)
        store.save_article(article("801", fresh), now)
        match_new_articles(store, config, now=now)
        assert queue_due_digests(store, config, now=due.end).queued == 1
        in_thread(send_pending, store, config, now=due.end)
        wait_for_mail(handler, 2)
        digest = parse(handler.messages[1][2])
        digest_text = plain(handler.messages[1][2])
        assert "Article 801" in digest_text
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # manage link from the digest: change the frequency by keyboard
        page.goto(link(digest_text, "manage"))
        snap(page, shots, "07-manage")
        tab_to(page, "#frequency")
        page.select_option("#frequency", "weekly")
        tab_to(page, "form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(".notice:has-text('enregistrés')")
        snap(page, shots, "08-manage-saved")
        changed = store.subscriber(EMAIL)
        assert changed is not None and changed.frequency == "weekly"

        # the GET unsubscribe page only asks
        unsubscribe = digest["List-Unsubscribe"].split("<")[2].rstrip(">")
        page.goto(unsubscribe)
        snap(page, shots, "09-unsubscribe-confirm")
        still = store.subscriber(EMAIL)
        assert still is not None and still.active

        # the operator view, behind its login
        page.goto(base + "/operator")
        page.fill("#user", "admin")
        page.fill("#password", "operator-pass")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"td:has-text('{EMAIL}')")
        snap(page, shots, "10-operator")
        assert not errors, errors
        browser.close()

    # RFC 8058 one-click, as a mail client sends it: no cookie, no redirect followed
    request = urllib.request.Request(unsubscribe, data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200 and answer.url == unsubscribe
        assert answer.headers.get("Set-Cookie") is None
    gone = store.subscriber(EMAIL)
    assert gone is not None and not gone.active

    # nothing more is sent: a new match, every job run
    later = due.end + timedelta(days=8)
    store.save_article(article("802", later - timedelta(hours=2)), later - timedelta(hours=1))
    match_new_articles(store, config, now=later)
    queue_due_digests(store, config, now=later)
    queue_immediate_alerts(store, config, now=later)
    send_pending(store, config, now=later)
    time.sleep(0.5)
    assert len(handler.messages) == 2
