"""The archive search end to end in headless Chromium (Playwright, Debian's chromium).

A real uvicorn and aiosmtpd (the fixtures of test_browser): search from the
page, narrow by an outlet facet, open "why it matched", come back, turn the
search into a subscription and confirm it from the mailed link. Screenshots
at 1280 and 390 px go to $VNAWATCH_SCREENSHOTS (else the test's tmp dir).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.alerts.delivery_support import article
from tests.web.test_browser import (  # noqa: F401  (fixtures used by name)
    CHROMIUM,
    DESKTOP,
    _require_chromium,
    link,
    live_server,
    plain,
    shots,
    snap,
    wait_for_mail,
)

EMAIL = "analyste@example.org"
QUERY = '"Tô Lâm" AND (Chine OR Laos)'
WORDS = ("dossier", "tranche", "projet", "lot", "phase", "volet", "étape", "chantier", "budget")


def _archive(store: Any) -> None:
    now = datetime.now(UTC)
    for n in range(26):
        source = "lecourrier" if n % 2 else "vietnamplus"
        country = ("Chine", "Laos", "Japon")[n % 3]
        store.save_article(
            article(
                str(300 + n),
                now - timedelta(hours=10 * n + 1),
                source=source,
                url=f"https://example.org/{source}/{300 + n}.html",
                title=f"Tô Lâm reçoit le ministre des Affaires étrangères ({country}) — {n}",
                body=f"Hanoï (VNA) – Le secrétaire général Tô Lâm a reçu la délégation de "
                f"{country} venue parler de coopération économique. Les deux parties ont "
                "convenu d'intensifier les échanges. "
                # distinct stories: one dispatch on two outlets would be listed once
                + " ".join(f"{word} {n}{word[0]}," for word in WORDS),
            ),
            now,
        )


def test_search_why_and_subscribe_from_the_search(
    live_server: dict[str, Any],  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    sync_api = _require_chromium()
    base, store, handler = live_server["base"], live_server["store"], live_server["smtp"]
    _archive(store)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # an unreadable query is explained in French, next to the field
        page.goto(base + "/search")
        page.fill("#q", '"Tô Lâm" AND (Chine')
        page.press("#q", "Enter")
        page.wait_for_selector("#q-error")
        assert "parenthèse ouverte" in page.inner_text("#q-error")
        snap(page, shots, "search-01-error")

        page.fill("#q", QUERY)
        page.click("button[type=submit]")
        page.wait_for_selector("ol.hits li")
        assert page.inner_text(".summary") == "18 articles trouvés."
        assert page.locator("ol.hits li").count() == 18
        assert page.inner_text("ol.hits li >> nth=0 >> mark").startswith("Tô Lâm")
        snap(page, shots, "search-02-results")

        # the outlet facet narrows the results
        page.click(".facets a:has-text('Le Courrier du Vietnam')")
        page.wait_for_selector(".facets a[aria-current]")
        assert page.locator("ol.hits li").count() == 9
        assert "VietnamPlus ·" not in page.inner_text("ol.hits")
        snap(page, shots, "search-03-facet")

        # why it matched, then back
        page.click("ol.hits li >> nth=0 >> a.why")
        page.wait_for_selector(".verdict.ok")
        assert "L’article correspond à la requête." in page.inner_text(".verdict")
        assert page.locator(".clauses .evidence mark").count() >= 2
        snap(page, shots, "search-04-why")
        page.click("text=Retour aux résultats")
        page.wait_for_selector("ol.hits li")
        assert page.input_value("#q") == QUERY

        # one button: the sign-up form with the query filled in, then the confirm flow
        page.click("a.button:has-text('Recevoir ces articles')")
        page.wait_for_selector("#query")
        assert page.input_value("#query") == QUERY
        page.fill("#email", EMAIL)
        snap(page, shots, "search-05-subscribe")
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Vérifiez')")
        wait_for_mail(handler, 1)
        page.goto(link(plain(handler.messages[0][2]), "confirm"))
        page.click("button[type=submit]")
        page.wait_for_selector(".notice:has-text('confirmé')")
        assert [r.query for r in store.subscriber_rules(EMAIL)] == [QUERY]
        snap(page, shots, "search-06-confirmed")
        browser.close()
    assert errors == []
