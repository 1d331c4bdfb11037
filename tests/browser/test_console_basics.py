"""The console in a real browser: sign-in, the queues each role works, language switch."""

from __future__ import annotations

import re

from browser_support import SignIn, screenshot
from playwright.sync_api import Page, expect


def test_root_opens_the_console_and_asks_for_sign_in(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")


def test_each_role_sees_the_queues_it_works(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "customs-prearrival")
    navigation = page.get_by_role("navigation", name="Work queues")
    expect(navigation.get_by_role("link", name="Open cases")).to_be_visible()
    expect(navigation.get_by_role("link", name="Holds waiting for release")).to_have_count(0)
    screenshot(page, "overview-customs")


def test_nvwa_inspector_sees_release_queue_not_cases(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "nvwa-inspector")
    navigation = page.get_by_role("navigation", name="Work queues")
    expect(navigation.get_by_role("link", name="Holds waiting for release")).to_be_visible()
    expect(navigation.get_by_role("link", name="Open cases")).to_have_count(0)


def test_language_switch_to_dutch_and_back(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "pd-inspector")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
