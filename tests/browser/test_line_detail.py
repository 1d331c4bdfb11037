"""The line detail page in a real browser: why a line was flagged. The module makes a line of
its own through the public APIs (a pre-notification for its container whose mass is far off, so
the matcher scores it and sends the line to review with a negative weight in the explanation),
and puts a manual hold on it, so the page has a candidate, a waterfall, a history, a hold with
its instruction and an audit timeline whatever the demo day holds."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from browser_support import SignIn, screenshot
from infra import DMF, FEEDS, OFFICER, bearer, token
from playwright.sync_api import Page, expect

from pnm.cli.postgres import free_port
from pnm.console.adapters.services_api import ServicesApi
from pnm.console.settings import ConsoleSettings
from pnm.console.web.detail import LineNotFound, ServiceRefusal, read_line
from pnm.shared.contracts.records import ChedType
from pnm.testing.records import container, manifest_line, prenotification

T = TypeVar("T")
READER = ("customs-prearrival",)


def until(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll until `probe` gives something (no fixed waits)."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.2)
    return found


@dataclass(frozen=True)
class FlaggedLine:
    manifest_id: str
    line_id: str
    box: str
    reference: str
    hold_id: str
    decision: dict[str, Any]

    @property
    def contributions(self) -> int:
        return sum(1 for c in self.decision["explanation"] if c["field"] != "candidate")


@pytest.fixture(scope="module")
def flagged(standalone: str) -> FlaggedLine:
    tag = uuid.uuid4().int
    manifest_id, box = f"DETAIL-{tag % 10**10}", container(tag % 10**6, owner="DTLU")
    reference = f"CHEDPP.NL.2026.{tag % 10**7:07d}"
    notice = prenotification(
        reference,
        ched_type=ChedType.CHED_PP,
        cn_code="08061010",
        description="Table grapes, fresh",
        containers=[box],
        net_mass_kg=2_000.0,  # against 18 t gross: far off, which caps the match at review
    )
    line = manifest_line(
        manifest_id, "1", hs_code="080610", description="Fresh table grapes", containers=[box]
    )
    with httpx.Client(base_url=standalone, timeout=30) as api:
        api.post(
            "/prenotification/prenotifications",
            json=notice.model_dump(mode="json"),
            headers=bearer(*FEEDS),
        ).raise_for_status()
        api.post(
            "/manifest-ingest/lines",
            json={"lines": [line.model_dump(mode="json")]},
            headers=bearer(*DMF),
        ).raise_for_status()

        def reviewed() -> dict[str, Any] | None:
            answer = api.get(f"/matcher/decisions/{manifest_id}/1", headers=bearer(*READER))
            decided = answer.json() if answer.status_code == 200 else None
            return decided if decided and decided["status"] == "review" else None

        decision = until(reviewed, "review decision")
        held = api.post(
            "/holds/holds/manual",
            json={
                "manifest_id": manifest_id,
                "line_id": "1",
                "regime": "phyto",
                "terminal": "ECTDELTA",
                "containers": [box],
                "reason": "weight far off the notified mass: inspect",
            },
            headers=bearer(*OFFICER, subject="test-detail-officer"),
        )
        held.raise_for_status()
    return FlaggedLine(manifest_id, "1", box, reference, held.json()["hold_id"], decision)


def test_a_reviewed_line_explains_itself(page: Page, sign_in: SignIn, flagged: FlaggedLine) -> None:
    sign_in(page, "customs-prearrival")
    page.get_by_role("navigation", name="Work queues").get_by_role("link", name="To review").click()
    page.get_by_label(re.compile(r"^Search")).fill(flagged.box)
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=f"{flagged.manifest_id}/{flagged.line_id}").click()

    expect(
        page.get_by_role("heading", name=f"Line {flagged.manifest_id}/1", level=1)
    ).to_be_visible()
    facts = page.locator("table.side-by-side")
    expect(facts.get_by_role("columnheader", name=re.compile(flagged.reference))).to_be_visible()
    containers = facts.get_by_role("row", name=re.compile(r"^Containers"))
    expect(containers).to_contain_text(flagged.box)
    expect(containers).to_contain_text("same")  # marked in words, not colour alone

    chart = page.locator("svg.waterfall")
    expect(chart).to_have_count(1)
    expect(chart.locator("g.step:not(.total)")).to_have_count(flagged.contributions)
    expect(chart.locator("g.step.down")).not_to_have_count(0)  # the far-off weight
    expect(chart.locator("g.threshold")).to_have_count(2)
    expect(chart.locator("title").first).to_contain_text(flagged.reference)
    figures = page.locator("table.figures")
    expect(figures.locator("tbody tr")).to_have_count(flagged.contributions)
    expect(figures.get_by_role("row", name=re.compile(r"^weight far_off"))).to_contain_text("-3")

    history = page.locator("#history table")
    expect(history.get_by_role("cell", name="review", exact=True)).not_to_have_count(0)

    holds = page.locator("#holds")
    expect(holds.get_by_role("heading", name=re.compile(flagged.hold_id))).to_be_visible()
    expect(holds.get_by_role("link", name=re.compile(r"Open the hold"))).to_have_attribute(
        "href", f"/console/holds/{flagged.hold_id}"
    )
    expect(holds.locator("table.instructions")).to_contain_text("block")

    audit = page.locator("#audit ol.timeline li")
    expect(audit.filter(has_text=flagged.hold_id).first).to_be_visible()
    expect(audit.filter(has_text="test-detail-officer").first).to_be_visible()
    screenshot(page, "line-explanation")

    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Waarom: de uitleg van de koppeling")).to_be_visible()


def test_the_version_history_is_linked(page: Page, sign_in: SignIn, flagged: FlaggedLine) -> None:
    sign_in(page, "analyst")
    page.goto(f"/console/lines/{flagged.manifest_id}/1")
    page.get_by_role("link", name="Version history of the line").click()
    expect(
        page.get_by_role("heading", name=f"Versions of line {flagged.manifest_id}/1")
    ).to_be_visible()
    expect(page.get_by_role("rowheader", name="1", exact=True)).to_be_visible()


def test_a_line_that_does_not_exist_is_a_404_page(page: Page, sign_in: SignIn) -> None:
    sign_in(page, "pd-inspector")
    response = page.goto("/console/lines/NO-SUCH-MANIFEST/1")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="No such line")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("NO-SUCH-MANIFEST")


def test_an_identifier_that_cannot_be_one_is_refused_with_its_rule(
    page: Page, sign_in: SignIn
) -> None:
    sign_in(page, "pd-inspector")
    response = page.goto("/console/lines/bad%20manifest/1")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("manifest_id='bad manifest'")


def test_a_service_that_does_not_answer_leaves_its_sections_refused(
    standalone: str, flagged: FlaggedLine
) -> None:
    """The holds service unreachable: the line, its decision and its candidates still come from
    the services that answer; the holds and the audit say that holds did not answer."""
    settings = ConsoleSettings(
        api_url=standalone, api_urls={"holds": f"http://127.0.0.1:{free_port()}"}
    )
    api = ServicesApi(settings, token(*READER))
    # Its own thread and loop: Playwright's sync API keeps one on this thread.
    with ThreadPoolExecutor(1) as worker:
        detail = worker.submit(asyncio.run, read_line(api, flagged.manifest_id, "1")).result()
        with pytest.raises(LineNotFound, match="NO-SUCH"):
            worker.submit(asyncio.run, read_line(api, "NO-SUCH", "1")).result()
    assert isinstance(detail.line, dict) and detail.line["record"]["containers"] == [flagged.box]
    assert isinstance(detail.decision, dict) and detail.decision["status"] == "review"
    assert [c.reference for c in detail.candidates] == [flagged.reference]
    assert isinstance(detail.holds, ServiceRefusal) and detail.holds.service == "holds"
    assert detail.holds.status is None
    assert isinstance(detail.audit, ServiceRefusal) and detail.audit.service == "holds"
