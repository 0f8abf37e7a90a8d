"""The trends pages in headless Chromium (Playwright, Debian's chromium), on a live server.

The index, one entity at 30 and 365 days, a click on a day's dot that opens
the search for that query and day, and the compare view; no script error and
no CSP refusal (the charts carry neither style nor script). Screenshots at
1280 and 390 px go to $VNAWATCH_SCREENSHOTS (else the test's tmp dir).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts import jobs
from tests.alerts.delivery_support import article
from tests.web.test_browser import (  # noqa: F401  (fixtures used by name)
    CHROMIUM,
    DESKTOP,
    _require_chromium,
    live_server,
    shots,
    snap,
)


def _archive(store: Any, config: Any) -> None:
    """Ten weeks: Tô Lâm most days, quiet on Sundays, a busy day four days ago."""
    now = datetime.now(UTC)
    for n in range(70):
        when = now - timedelta(days=n, hours=1)
        per_day = 0 if when.weekday() == 6 else 1 + (n % 4 == 0) + 5 * (n == 4)
        for k in range(per_day):
            number = 1000 + 10 * n + k
            source = "lecourrier" if (n + k) % 3 else "vietnamplus"
            other = " Le Premier ministre Phạm Minh Chính était présent." if n % 5 == k else ""
            store.save_article(
                article(
                    str(number),
                    when - timedelta(minutes=20 * k),
                    source=source,
                    url=f"https://example.org/{source}/{number}.html",
                    title=f"Tô Lâm reçoit une délégation ({number})",
                    body=f"Hanoï (VNA) – Le secrétaire général Tô Lâm a reçu la délégation.{other}",
                ),
                now,
            )
    jobs.match_new_articles(store, config, now=now)


def test_trends_pages_in_chromium(
    live_server: dict[str, Any],  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    sync_api = _require_chromium()
    base, store = live_server["base"], live_server["store"]
    _archive(store, live_server["config"])
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(base + "/tendances")
        page.wait_for_selector(".trend-list a")
        snap(page, shots, "trends-01-index")

        page.click(".trend-list a:has-text('Tô Lâm')")
        page.wait_for_selector(".chart-wide svg")
        assert page.is_visible(".chart-wide svg") and not page.is_visible(".chart-narrow svg")
        # pygal's CSS is served as a file: the plot background is white, the line red
        fill = page.eval_on_selector(
            ".chart-wide svg .series path.line", "e => getComputedStyle(e).stroke"
        )
        assert fill == "rgb(138, 28, 28)", fill
        snap(page, shots, "trends-02-entity-90")

        page.click(".windows a:has-text('30 jours')")
        page.wait_for_selector(".windows a[aria-current='page']:has-text('30 jours')")
        assert page.locator(".chart-wide svg .dots").count() == 30
        page.click("details.numbers summary")
        snap(page, shots, "trends-03-entity-30-numbers")

        # a click on the busy day's dot opens the search for that query and day
        busy = (datetime.now(UTC) - timedelta(days=4, hours=1)).astimezone().date()
        dot = page.locator(f".chart-wide svg a[*|href$='day={busy.isoformat()}']")
        dot.first.click()
        page.wait_for_selector("ol.hits li")
        assert "day=" + busy.isoformat() in page.url and "entity%3Ato_lam" in page.url
        assert page.locator(".facets a[aria-current]").count() == 1
        snap(page, shots, "trends-04-day-search")

        page.goto(base + "/tendances/entite/to_lam?jours=365")
        page.wait_for_selector(".chart-wide svg")
        snap(page, shots, "trends-05-entity-365")

        page.goto(base + "/tendances")
        page.check("input[value='to_lam']")
        page.check("input[value='pham_minh_chinh']")
        page.click("button:has-text('Comparer')")
        page.wait_for_selector(".chart-wide svg")
        assert page.locator(".chart-wide svg .series path.line").count() == 2
        snap(page, shots, "trends-06-compare")

        page.goto(base + "/trends/entity/nobody")
        assert "Not found" in page.inner_text("h1")
        browser.close()
    # the 404 page's own request is the only error the console may hold
    assert [e for e in errors if "404" not in e] == []
