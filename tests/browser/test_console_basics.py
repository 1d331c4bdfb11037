"""The console in a real browser: sign-in, the queues each role works, language switch."""

from __future__ import annotations

import re

import pytest
from browser_support import SignIn, screenshot
from playwright.sync_api import Page, expect


def test_root_opens_the_console_and_asks_for_sign_in(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")


OVERDUE, UNNOTIFIED, REVIEW = "Overdue", "Unnotified", "To review"
RELEASE, ESCALATED, TERMINAL = (
    "Holds waiting for release",
    "Holds escalated",
    "Holds waiting for a terminal",
)
CASES = "Open cases"
QUEUE_NAMES = (OVERDUE, UNNOTIFIED, REVIEW, RELEASE, ESCALATED, TERMINAL, CASES)


@pytest.mark.parametrize(
    ("role", "works"),
    [
        ("customs-prearrival", [OVERDUE, UNNOTIFIED, REVIEW, ESCALATED, TERMINAL, CASES]),
        ("pd-inspector", [OVERDUE, UNNOTIFIED, RELEASE, ESCALATED, TERMINAL]),
        ("nvwa-inspector", [OVERDUE, UNNOTIFIED, RELEASE, ESCALATED, TERMINAL]),
        ("analyst", [OVERDUE, UNNOTIFIED, REVIEW, ESCALATED, CASES]),
        ("admin", list(QUEUE_NAMES)),
    ],
)
def test_each_role_sees_the_queues_it_works(
    page: Page, sign_in: SignIn, role: str, works: list[str]
) -> None:
    """Customs works reviews and cases, the authorities releases, analysts cases; each sees
    its queues on the overview and in the navigation, and no other."""
    sign_in(page, role)
    navigation = page.get_by_role("navigation", name="Work queues")
    links = navigation.get_by_role("link").all_inner_texts()
    assert [name for name in links if name in QUEUE_NAMES] == works
    tiles = page.locator(".tiles a").all_inner_texts()  # "12 Overdue": the count, the queue
    assert [re.sub(r"^\d+\s+", "", tile.strip()) for tile in tiles] == works
    screenshot(page, f"overview-{role}")


def test_language_switch_to_dutch_and_back(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "pd-inspector")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
