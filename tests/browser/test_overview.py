"""The overview in a real browser: the KPIs with their charts and tables, the reconciliation as
the person may see it, and the banner following a declared emergency without a reload."""

from __future__ import annotations

import re

import httpx
from browser_support import SignIn, screenshot
from infra import bearer
from playwright.sync_api import Page, expect


def test_overview_shows_the_kpis_with_charts(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Key figures")).to_be_visible()
    # The decisions chart is always drawn (a quiet hour is a figure too); its figures are in
    # a table as well.
    expect(page.get_by_role("img", name="Decisions per hour, last 24 hours")).to_be_visible()
    expect(page.get_by_role("table", name="Decisions per hour, last 24 hours")).to_have_count(1)
    for heading in (
        "Controlled lines notified in time",
        "How early we warn",
        "Holds per terminal",
        "Case outcomes per risk indicator",
        "Reconciliation gaps",
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    # An admin may read both services' reconciliation: a figure, not a refusal.
    reconciliation = page.locator("table.reconciliation")
    for service in ("matcher", "holds"):
        row = reconciliation.locator(f'tr[data-service="{service}"]')
        expect(row).to_have_attribute("data-status", re.compile(r"^(clear|gaps)$"))
    screenshot(page, "overview")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Kerncijfers")).to_be_visible()
    expect(page.get_by_role("img", name="Besluiten per uur, laatste 24 uur")).to_be_visible()


def test_reconciliation_refused_to_an_analyst_says_so(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "analyst")
    reconciliation = page.locator("table.reconciliation")
    row = reconciliation.locator('tr[data-service="holds"]')
    expect(row).to_have_attribute("data-status", "refused")
    expect(row).to_contain_text("Refused: 403")


def test_banner_follows_an_emergency_without_reload(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    # The written channel: no regime's matching depends on it (the matcher's feed health).
    url = f"{standalone}/prenotification/feeds/written/emergency"
    admin = bearer("admin", subject="overview-test")
    sign_in(page, "customs-prearrival")
    banner = page.locator("#banner")
    expect(banner).not_to_contain_text("written")
    page.evaluate("window.__notReloaded = true")
    started = httpx.post(url, json={"action": "start", "note": "overview test"}, headers=admin)
    assert started.status_code == 200, started.text
    try:
        expect(banner).to_contain_text("Emergency procedure declared for written")
        expect(banner).to_contain_text("overview test")
        assert page.evaluate("window.__notReloaded") is True
        screenshot(page, "overview-emergency")
        # Every page with the banner shows it, and follows it: here a queue's page.
        page.goto("/console/queues/overdue")
        expect(banner).to_contain_text("Emergency procedure declared for written")
    finally:
        ended = httpx.post(url, json={"action": "end"}, headers=admin)
        assert ended.status_code == 200, ended.text
    expect(banner).not_to_contain_text("written")
