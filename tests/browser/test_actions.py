"""Actions by role in a real browser (docs/console-actions.md): each says what it will do, asks
to confirm, sends as the person and shows the service's answer. Every test makes its own
situation through the public APIs (a beef line of its own that arrives unnotified: a veterinary
hold for NVWA and a case for customs), so none depends on the demo's ids or on another test."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from browser_support import SignIn, screenshot
from infra import bearer
from playwright.sync_api import Locator, Page, expect

from pnm.matcher.adapters.indicator_data import SHIPPED_SET_VERSION
from pnm.shared.contracts.records import ChedType
from pnm.testing.records import arrival, container, manifest_line, prenotification

T = TypeVar("T")
WAIT_SECONDS = 60.0
MINUTE = "%Y-%m-%dT%H:%M"  # a datetime-local input's value
OFFICER = bearer("customs-prearrival", subject="test-setup")


def until(probe: Callable[[], T | None], what: str) -> T:
    """Poll `probe` until it gives something (never a fixed sleep)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT_SECONDS} s")
        time.sleep(0.2)


def shown_after_reloads(page: Page, locator: Locator, what: str) -> None:
    """Reload until `locator` is on the page (a page that is not live follows events late)."""

    def visible() -> bool:
        page.reload()
        return locator.count() > 0

    until(visible, what)


class Situation:
    """A frozen beef line of its own at Rotterdam that arrived unnotified: the matcher flags
    it, the holds service holds it for NVWA (veterinary) and opens a case for customs."""

    def __init__(self, url: str) -> None:
        self.api = httpx.Client(base_url=url, timeout=30)
        self.manifest = f"ACT-{uuid.uuid4().hex[:10].upper()}"
        self.box = container(uuid.uuid4().int % 1_000_000, owner="ACTU")
        line = manifest_line(
            self.manifest,
            "1",
            hs_code="020130",
            description="Frozen boneless beef",
            containers=[self.box],
        )
        self.post("/manifest-ingest/lines", {"lines": [line.model_dump(mode="json")]}, "feed:dmf")
        self.post(
            "/manifest-ingest/arrivals", arrival(self.manifest).model_dump(mode="json"), "feed:dmf"
        )

    def post(self, path: str, body: Any, role: str) -> None:
        response = self.api.post(path, json=body, headers=bearer(role, subject="test-setup"))
        assert response.is_success, response.text

    def hold(self, *states: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            held = self.api.get(
                "/holds/holds", params={"manifest_id": self.manifest}, headers=OFFICER
            ).json()
            return next((h for h in held if not states or h["state"] in states), None)

        return until(found, f"hold of {self.manifest} in {states}")

    def case(self) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            cases = self.api.get(
                "/holds/cases", params={"manifest_id": self.manifest}, headers=OFFICER
            ).json()
            return cases[0] if cases else None

        return until(found, f"case of {self.manifest}")

    def notified_late(self) -> dict[str, Any]:
        """The importer notifies after all: the hold waits for NVWA's release."""
        self.hold()
        late = prenotification(
            f"CHEDP.NL.2026.{uuid.uuid4().int % 10_000_000:07d}",
            ched_type=ChedType.CHED_P,
            cn_code="02013000",
            description="Frozen boneless beef",
            containers=[self.box],
        )
        self.post("/prenotification/prenotifications", late.model_dump(mode="json"), "feed:vgc")
        return self.hold("release_requested")


def action(page: Page, title: str, feed: str | None = None) -> Locator:
    """The form of one action on the page (on the feeds page: for one feed)."""
    found = page.locator("section.action", has=page.get_by_role("heading", name=title))
    return found.filter(has_text=f"for feed {feed}:") if feed else found


def review_and_confirm(page: Page, section: Locator, title: str, name: str) -> None:
    """Press the action's Review button, check the confirmation, keep its screenshot, confirm."""
    section.get_by_role("button", name="Review before sending").click()
    expect(page.get_by_role("heading", name=f"Confirm: {title}")).to_be_visible()
    expect(page.get_by_text("What will be sent")).to_be_visible()
    screenshot(page, f"{name}-confirm")
    page.get_by_role("button", name="Confirm and send").click()


def test_nvwa_authorises_the_release_of_a_veterinary_hold(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    situation = Situation(standalone)
    held = situation.notified_late()
    sign_in(page, "nvwa-inspector")
    page.goto(f"/console/holds/{held['hold_id']}")
    expect(page.locator("[data-state]")).to_have_text("release_requested")
    release = action(page, "Authorise the release")
    expect(release).to_contain_text(f"terminal ECTDELTA for containers {situation.box}")
    release.get_by_label("Reason").fill("pre-notified late; documents checked")
    review_and_confirm(page, release, "Authorise the release", "release-nvwa")
    expect(page.get_by_role("status")).to_contain_text("accepted")
    expect(page.locator("dl.facts")).to_contain_text("release_instructed")
    screenshot(page, "release-nvwa-result")
    # Sent once: the same confirmation sent again gets the first answer, not a second release.
    page.go_back()
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    hold = situation.hold()
    assert hold["state"] == "release_instructed"
    assert [i["action"] for i in hold["instructions"]] == ["block", "release"]


def test_pd_is_refused_releasing_a_veterinary_hold(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    held = Situation(standalone).notified_late()
    sign_in(page, "pd-inspector")
    page.goto(f"/console/holds/{held['hold_id']}")
    release = action(page, "Authorise the release")
    release.get_by_label("Reason").fill("trying a hold that is not ours")
    review_and_confirm(page, release, "Authorise the release", "release-pd")
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("refused it (403)")
    expect(refusal).to_contain_text("only NVWA (role nvwa-inspector) may release")
    screenshot(page, "release-pd-refused")


def test_nvwa_records_an_irregularity_then_refuses_the_goods(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    situation = Situation(standalone)
    held = situation.hold("instructed", "acknowledged")
    sign_in(page, "nvwa-inspector")
    page.goto(f"/console/holds/{held['hold_id']}")
    form = action(page, "Record an irregularity")
    # The BCP and goods come filled in from what the console knows of the line.
    shown_after_reloads(page, form.locator('input[name="bcp"][value="NLRTM"]'), "BCP filled in")
    expect(form.get_by_label("Goods concerned")).to_have_value(re.compile("Frozen boneless beef"))
    form.get_by_label("Finding").fill("Seal broken; cartons without health marks")
    form.get_by_label("Statement of measures").fill("Goods detained pending destruction order")
    form.get_by_label("Party's role").select_option("importer")
    form.get_by_label("Party's name").fill("Van der Berg Import B.V.")
    review_and_confirm(page, form, "Record an irregularity", "irregularity")
    expect(page.get_by_role("status")).to_contain_text("accepted it (201)")
    expect(page.locator("dl.facts")).to_contain_text("Irregularity")
    screenshot(page, "irregularity-result")
    assert situation.hold()["state"] == "irregularity_recorded"
    # After the irregularity, the goods are refused: the hold closes.
    page.get_by_role("link", name="Back").click()
    refuse = action(page, "Refuse the goods")
    refuse.get_by_label("Outcome").select_option("destruction")
    refuse.get_by_label("Reason").fill("no health certificate can be produced")
    review_and_confirm(page, refuse, "Refuse the goods", "refuse")
    expect(page.get_by_role("status")).to_contain_text("accepted")
    expect(page.locator("dl.facts")).to_contain_text("refused")
    screenshot(page, "refuse-result")


def test_customs_closes_a_case_with_its_outcome(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    situation = Situation(standalone)
    case = situation.case()
    sign_in(page, "customs-prearrival")
    page.goto(f"/console/cases/{case['case_id']}")
    form = action(page, "Close the case")
    form.get_by_label("Outcome").select_option("handed_to_authority")
    form.get_by_label("Note").fill("importer unreachable; NVWA takes over")
    review_and_confirm(page, form, "Close the case", "case-close")
    expect(page.get_by_role("status")).to_contain_text("accepted")
    expect(page.locator("dl.facts")).to_contain_text("closed")
    screenshot(page, "case-close-result")
    page.get_by_role("link", name="Back").click()
    expect(page.locator("[data-state]")).to_have_text("closed")
    expect(page.get_by_role("button", name="Review before sending")).to_have_count(0)


def test_a_form_with_a_missing_field_is_not_sent(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    """The browser's own check bypassed: the console names the field and sends nothing."""
    case = Situation(standalone).case()
    sign_in(page, "customs-prearrival")
    page.goto(f"/console/cases/{case['case_id']}")
    form = action(page, "Close the case")
    form.locator("form").evaluate("f => f.noValidate = true")
    form.get_by_role("button", name="Review before sending").click()
    expect(page.get_by_role("alert")).to_contain_text("outcome: required")
    expect(page.get_by_role("button", name="Confirm and send")).to_have_count(0)


def test_declare_and_end_an_emergency_shows_and_clears_the_banner(
    page: Page, sign_in: SignIn
) -> None:
    # The written channel's feed: an emergency on it suppresses no regime's flags, so the
    # other tests sharing this system are not affected while it runs.
    sign_in(page, "nvwa-inspector")
    page.goto("/console/feeds")
    declare = action(page, "Declare an emergency procedure", feed="written")
    declare.get_by_label("Note").fill("fax line down at the BCP")
    review_and_confirm(page, declare, "Declare an emergency procedure", "emergency-declare")
    expect(page.get_by_role("status")).to_contain_text("accepted")
    screenshot(page, "emergency-declare-result")
    banner = page.locator(".banner.emergency", has_text="written")
    page.goto("/console/")
    shown_after_reloads(page, banner, "the emergency banner on the overview")
    expect(banner).to_contain_text("fax line down at the BCP")
    screenshot(page, "emergency-banner")

    page.goto("/console/feeds")
    end = action(page, "End the emergency procedure", feed="written")
    review_and_confirm(page, end, "End the emergency procedure", "emergency-end")
    expect(page.get_by_role("status")).to_contain_text("accepted")
    screenshot(page, "emergency-end-result")
    page.goto("/console/")

    def gone() -> bool:
        page.reload()
        return banner.count() == 0

    until(gone, "the banner gone after the end")


def test_nvwa_enters_a_written_prenotification(page: Page, sign_in: SignIn) -> None:
    reference = f"CHEDP.NL.2026.{uuid.uuid4().int % 10_000_000:07d}"
    now = datetime.now(UTC)
    sign_in(page, "nvwa-inspector")
    page.goto("/console/written")
    form = action(page, "Enter a written pre-notification")
    form.get_by_label("Reference").fill(reference)
    form.get_by_label("CHED type").select_option("CHED-P")
    form.get_by_label("Received at (UTC)").fill((now - timedelta(hours=1)).strftime(MINUTE))
    form.get_by_label("Border control post").fill("NLRTM")
    form.get_by_label("Expected arrival (UTC)").fill((now + timedelta(days=2)).strftime(MINUTE))
    form.get_by_label("Mode of transport").select_option("sea")
    form.get_by_label("Containers").fill(container(uuid.uuid4().int % 1_000_000, owner="ACTU"))
    form.get_by_label("Consignor's name").fill("Frigorifico del Sur S.A.")
    form.get_by_label("Consignor's country").fill("AR")
    form.get_by_label("Importer's name").fill("Van der Berg Import B.V.")
    form.get_by_label("Importer's country").fill("NL")
    form.get_by_label("Country of origin").fill("AR")
    form.get_by_label("CN code").fill("02013000")
    form.get_by_label("Description of the goods").fill("Frozen boneless beef")
    form.get_by_label("Net mass (kg)").fill("16500")
    form.get_by_label("Control regime").select_option("full")
    review_and_confirm(page, form, "Enter a written pre-notification", "written")
    expect(page.get_by_role("status")).to_contain_text("accepted it (201)")
    expect(page.locator("dl.facts")).to_contain_text(reference)
    screenshot(page, "written-result")


def test_activation_shows_the_dry_run_first_and_cancel_sends_nothing(
    page: Page, sign_in: SignIn, standalone: str
) -> None:
    situation = Situation(standalone)
    situation.hold()  # decided: unnotified
    version = f"v-trial-{uuid.uuid4().hex[:8]}"
    analyst = bearer("analyst", subject="test-setup")
    shipped = f"/matcher/indicator-sets/{SHIPPED_SET_VERSION}"
    document = situation.api.get(shipped, headers=analyst).json()
    document |= {
        "version": version,
        "note": "trial: bovine meat out of scope",
        "indicators": [i for i in document["indicators"] if i["cn_prefix"] not in ("0201", "0202")],
    }
    situation.post("/matcher/indicator-sets", document, "analyst")
    sign_in(page, "analyst")
    page.goto("/console/indicator-sets")
    form = action(page, "Activate this indicator set").filter(has_text=f"set {version} decide")
    form.get_by_label("Lines to try it on").fill(f"{situation.manifest}/1")
    form.get_by_role("button", name="Review before sending").click()
    trial = page.get_by_role("table", name="Dry run").get_by_role("row").nth(1)
    expect(trial).to_contain_text("unnotified")
    expect(trial).to_contain_text("not_controlled")
    screenshot(page, "activate-dry-run")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Indicator sets", exact=True)).to_be_visible()
    listed = situation.api.get("/matcher/indicator-sets", headers=analyst).json()
    assert next(s for s in listed if s["version"] == version)["active"] is False


def test_a_hold_the_service_does_not_know_is_its_refusal_shown_to_the_signed_in_person(
    page: Page, sign_in: SignIn
) -> None:
    """A service's refusal of a read a page needs is the error page with the service's status
    and detail, and the person stays signed in (its name and the navigation shown)."""
    sign_in(page, "nvwa-inspector")
    response = page.goto("/console/holds/no-such-hold")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("404: no hold 'no-such-hold'")
    expect(page.get_by_text("Signed in as")).to_contain_text("test-nvwa-inspector")
