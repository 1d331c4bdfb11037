"""The console by keyboard, with labelled controls, and live without reloading."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from browser_support import SignIn, screenshot
from infra import DMF, bearer
from playwright.sync_api import Page, expect

from pnm.testing.records import arrival, container, manifest_line

# Every form control, and whether something names it for a screen reader.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_content(
    page: Page, sign_in: SignIn
) -> None:
    sign_in(page, "customs-prearrival")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_every_control_has_a_name(page: Page, sign_in: SignIn) -> None:
    page.goto("/console/login")
    assert page.evaluate(UNNAMED_CONTROLS) == []
    sign_in(page, "customs-prearrival")
    for path in ("/console/", "/console/queues/unnotified", "/console/queues/open_cases"):
        page.goto(path)
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
        assert page.locator("h1").count() == 1, path


def test_a_queue_is_searched_and_paged_by_keyboard(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "customs-prearrival")
    page.goto("/console/queues/unnotified")
    search = page.get_by_label("Search (container, transport document, CHED reference, importer)")
    search.focus()
    page.keyboard.type("NO-SUCH-CONTAINER-XYZ")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nothing in this queue.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=NO-SUCH-CONTAINER-XYZ"))


def test_a_line_arriving_unnotified_appears_in_the_open_queue_without_a_reload(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    sign_in(page, "customs-prearrival")
    box = container(700_000 + uuid.uuid4().int % 100_000)
    page.goto(f"/console/queues/unnotified?q={box}")
    expect(page.get_by_text("Nothing in this queue.")).to_be_visible()

    manifest = f"LIVE{uuid.uuid4().hex[:8].upper()}"
    now = datetime.now(UTC)
    line = manifest_line(
        manifest,
        "1",
        hs_code="020230",
        description="FROZEN BONELESS BEEF",
        containers=[box],
        eta=now - timedelta(hours=1),
    )
    feed = bearer(*DMF)
    with httpx.Client(base_url=standalone, headers=feed, timeout=30) as api:
        api.post(
            "/manifest-ingest/lines", json={"lines": [line.model_dump(mode="json")]}
        ).raise_for_status()
        api.post(
            "/manifest-ingest/arrivals", json=arrival(manifest, now).model_dump(mode="json")
        ).raise_for_status()

    row = page.get_by_role("link", name=f"{manifest}/1")
    expect(row).to_be_visible(timeout=60_000)  # the rows ask for themselves every few seconds
    screenshot(page, "queue-unnotified-live")
