"""Pre-arrival cases and DFB irregularities on a real PostgreSQL (the holds service in-process,
fed decisions as the matcher publishes them): a case opens with the hold; contacts, a linked
written pre-notification and each closing outcome, and what it does to the holds; who may do
what; irregularities by period as JSON and CSV; the outcomes per risk indicator."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import test_hold_lifecycle
from infra import bearer
from sqlalchemy import select
from test_hold_lifecycle import NVWA, OFFICER, PD, Holds

from pnm.holds.adapters.tables import messaging
from pnm.holds.api.irregularities import EXPORT_MAX
from pnm.holds.irregularities import CSV_COLUMNS
from pnm.shared.contracts.records import DecisionStatus, Reason, Regime
from pnm.shared.contracts.topics import CASES, IRREGULARITIES

# The fixture of the hold lifecycle tests: the holds service in-process on a real PostgreSQL.
holds = test_hold_lifecycle.holds
D = DecisionStatus
ANALYST = bearer("analyst", subject="analyst-1")
BEEF = Reason(code="cn_prefix", text="item 1: HS 020130 under 0201", indicator="cn:0201")
SALMON = Reason(code="keyword", text="item 1: 'salmon'", indicator="keyword:salmon")


def _contact(**changes: Any) -> dict[str, Any]:
    return {
        "party_name": "Fresh Meat Import BV",
        "party_eori": "NL123456789",
        "contacted_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "channel": "phone",
        "question": "Is the beef pre-notified in TRACES?",
        "answer": "Yes, CHED-P sent by e-mail yesterday",
        **changes,
    }


async def _the_case(holds: Holds, line: str = "1") -> dict[str, Any]:
    response = await holds.client.get(
        "/holds/cases", params={"manifest_id": "LIFE-1", "line_id": line}, headers=OFFICER
    )
    assert response.status_code == 200, response.text
    [found] = [c for c in response.json() if c["state"] != "closed"]
    return dict(found)


async def _post(holds: Holds, path: str, body: dict[str, Any], who: dict[str, str]) -> Any:
    return await holds.client.post(path, json=body, headers=who)


async def _published(holds: Holds, topic: str) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    async with holds.pipeline.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
        )
        return [json.loads(r.payload) for r in rows]


async def test_a_case_opens_with_the_lines_first_hold(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED, reasons=[BEEF, SALMON])
    case = await _the_case(holds)
    assert case["state"] == "open"
    assert case["indicators"] == ["vet/cn:0201", "vet/keyword:salmon"]
    [held] = case["holds"]
    assert (held["regime"], held["state"], held["origin"]) == ("vet", "instructed", "decision")
    assert held["hold_id"] == case["opened_by_hold"]

    # A second hold of the line (customs' own, another regime) works in the same case.
    manual = await _post(
        holds,
        "/holds/holds/manual",
        {
            "manifest_id": "LIFE-1",
            "line_id": "1",
            "regime": "phyto",
            "terminal": "ECTDELTA",
            "reason": "roses in the same container",
        },
        OFFICER,
    )
    assert manual.status_code == 201, manual.text
    again = await _the_case(holds)
    assert again["case_id"] == case["case_id"]
    assert [h["regime"] for h in again["holds"]] == ["vet", "phyto"]

    [opened] = await _published(holds, CASES.name)
    assert opened["type"] == "nl.pnm.holds.case.opened"
    assert opened["data"]["indicators"] == ["vet/cn:0201", "vet/keyword:salmon"]
    trail = await holds.client.get(
        "/holds/audit", params={"subject_type": "case", "subject_id": case["case_id"]}, headers=PD
    )
    assert [e["action"] for e in trail.json()] == ["case.opened"]


async def test_contact_link_and_close_as_prenotified_asks_the_authority(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED, reasons=[BEEF])
    hold = await holds.the_hold()
    await holds.ack(hold["instructions"][0])
    case_id = (await _the_case(holds))["case_id"]
    base = f"/holds/cases/{case_id}"

    early = await _post(holds, f"{base}/close", {"outcome": "not_controlled"}, OFFICER)
    assert early.status_code == 409
    assert "record a contact first" in early.json()["detail"]

    contacted = await _post(holds, f"{base}/contacts", _contact(), OFFICER)
    assert contacted.status_code == 200, contacted.text
    body = contacted.json()
    assert body["state"] == "contacted"
    [contact] = body["contacts"]
    assert (contact["officer"], contact["channel"], contact["party_eori"]) == (
        "douane-1",
        "phone",
        "NL123456789",
    )

    unlinked = await _post(
        holds, f"{base}/close", {"outcome": "prenotified_not_registered"}, OFFICER
    )
    assert unlinked.status_code == 409
    assert "linked" in unlinked.json()["detail"]

    link = {"reference": "CHEDP.NL.2026.0012345", "received_by": "email"}
    linked = await _post(holds, f"{base}/references", link, OFFICER)
    assert linked.status_code == 200, linked.text
    assert [r["reference"] for r in linked.json()["references"]] == [link["reference"]]
    assert (await _post(holds, f"{base}/references", link, OFFICER)).status_code == 409

    closed = await _post(
        holds, f"{base}/close", {"outcome": "prenotified_not_registered", "note": "GGB"}, OFFICER
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["outcome"]) == (
        "closed",
        "prenotified_not_registered",
    )
    held = await holds.the_hold()
    assert (held["state"], held["release_reason"], held["block_status"]) == (
        "release_requested",
        "case closed: prenotified_not_registered",
        "applied",
    )
    assert [i["action"] for i in held["instructions"]] == ["block"]  # closing never releases

    events = await _published(holds, CASES.name)
    assert [e["data"]["action"] for e in events] == [
        "opened",
        "contact_recorded",
        "notification_linked",
        "closed",
    ]
    assert events[2]["data"]["references"] == [link["reference"]]
    assert events[2]["subject"] == "LIFE-1/1"
    after = await _post(holds, f"{base}/contacts", _contact(), OFFICER)
    assert after.status_code == 409 and "closed" in after.json()["detail"]


@pytest.mark.parametrize(
    ("outcome", "hold_state"),
    [
        ("not_controlled", "release_requested"),
        ("bilateral_agreement", "release_requested"),
        ("handed_to_authority", "instructed"),
    ],
)
async def test_each_outcome_and_what_it_does_to_the_holds(
    holds: Holds, outcome: str, hold_state: str
) -> None:
    await holds.decide(1, D.UNNOTIFIED, reasons=[BEEF])
    case_id = (await _the_case(holds))["case_id"]
    assert (
        await _post(holds, f"/holds/cases/{case_id}/contacts", _contact(), OFFICER)
    ).status_code == 200
    closed = await _post(holds, f"/holds/cases/{case_id}/close", {"outcome": outcome}, OFFICER)
    assert closed.status_code == 200, closed.text
    held = await holds.the_hold()
    assert held["state"] == hold_state
    if hold_state == "release_requested":
        assert held["release_reason"] == f"case closed: {outcome}"


async def test_closing_asks_the_release_of_a_manual_hold_too(holds: Holds) -> None:
    placed = await _post(
        holds,
        "/holds/holds/manual",
        {
            "manifest_id": "LIFE-1",
            "line_id": "9",
            "regime": "vet",
            "terminal": "ECTDELTA",
            "reason": "no pre-notification seen",
        },
        OFFICER,
    )
    assert placed.status_code == 201, placed.text
    case = await _the_case(holds, "9")
    assert case["indicators"] == []
    base = f"/holds/cases/{case['case_id']}"
    await _post(holds, f"{base}/contacts", _contact(), OFFICER)
    assert (await _post(holds, f"{base}/close", {"outcome": "not_controlled"}, OFFICER)).is_success
    held = await holds.the_hold("9")
    assert (held["state"], held["origin"]) == ("release_requested", "manual")


async def test_handing_over_needs_no_contact(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    case_id = (await _the_case(holds))["case_id"]
    closed = await _post(
        holds, f"/holds/cases/{case_id}/close", {"outcome": "handed_to_authority"}, OFFICER
    )
    assert closed.status_code == 200, closed.text


async def test_only_customs_prearrival_works_a_case(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    case_id = (await _the_case(holds))["case_id"]
    base = f"/holds/cases/{case_id}"
    for who in (NVWA, PD, bearer("terminal:ECTDELTA", subject="ECTDELTA"), ANALYST):
        for path, body in (
            ("close", {"outcome": "handed_to_authority"}),
            ("contacts", _contact()),
            ("references", {"reference": "CHEDP.X", "received_by": "fax"}),
        ):
            refused = await _post(holds, f"{base}/{path}", body, who)
            assert refused.status_code == 403, refused.text
            assert "customs-prearrival" in refused.json()["detail"]
    assert (await _the_case(holds))["state"] == "open"
    terminal = await holds.client.get(base, headers=bearer("terminal:ECTDELTA"))
    assert terminal.status_code == 403
    assert (await holds.client.get(base, headers=ANALYST)).status_code == 200
    assert (await holds.client.get("/holds/cases/nope", headers=OFFICER)).status_code == 404
    refusals = await holds.client.get(
        "/holds/audit", params={"subject_type": "request"}, headers=PD
    )
    assert sum(e["outcome"] == "refused" for e in refusals.json()) >= 12


async def test_a_contact_is_refused_with_field_value_and_rule(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    case_id = (await _the_case(holds))["case_id"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    refused = await _post(
        holds, f"/holds/cases/{case_id}/contacts", _contact(contacted_at=future), OFFICER
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("contacted_at", "contacted_at.in_future")
    bad_channel = await _post(
        holds, f"/holds/cases/{case_id}/contacts", _contact(channel="pigeon"), OFFICER
    )
    assert bad_channel.status_code == 422
    assert "channel" in bad_channel.text


def _irregularity(**changes: Any) -> dict[str, Any]:
    return {
        "finding": "beef without CHED-P; labels do not match the consignment",
        "measures_statement": "=HYPERLINK(consignment detained; re-export ordered",
        "goods": "frozen beef cuts, 18,000 kg",
        "parties": [
            {"role": "importer", "name": "Fresh Meat Import BV", "eori": "NL123456789"},
            {"role": "consignor", "name": "Frigorifico SA"},
        ],
        "references": ["BL-4711"],
        "bcp": "NLRTM4",
        **changes,
    }


async def test_only_the_holds_authority_records_an_irregularity_once(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    hold_id = (await holds.the_hold())["hold_id"]
    path = f"/holds/holds/{hold_id}/irregularities"
    for who in (PD, OFFICER, bearer("terminal:ECTDELTA")):
        refused = await _post(holds, path, _irregularity(), who)
        assert refused.status_code == 403, refused.text
    assert "NVWA" in (await _post(holds, path, _irregularity(), PD)).json()["detail"]
    recorded = await _post(holds, path, _irregularity(), NVWA)
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert (body["recorded_by"], body["authority"], body["regime"]) == ("nvwa-1", "NVWA", "vet")
    assert (body["bcp"], body["terminal"]) == ("NLRTM4", "ECTDELTA")
    held = await holds.the_hold()
    assert held["state"] == "irregularity_recorded"
    assert (await _post(holds, path, _irregularity(), NVWA)).status_code == 409
    missing = await _post(holds, path, _irregularity(measures_statement=""), NVWA)
    assert missing.status_code == 422 and "measures_statement" in missing.text
    [event] = await _published(holds, IRREGULARITIES.name)
    assert event["data"]["irregularity_id"] == body["irregularity_id"]
    trail = await holds.client.get(
        "/holds/audit",
        params={"subject_type": "irregularity", "subject_id": body["irregularity_id"]},
        headers=NVWA,
    )
    assert [e["action"] for e in trail.json()] == ["irregularity.recorded"]


async def test_irregularities_by_period_as_json_and_csv(holds: Holds) -> None:
    start = datetime.now(UTC)
    ids = []
    for line, regime, who in (("1", Regime.VET, NVWA), ("2", Regime.PHYTO, PD)):
        await holds.decide(1, D.UNNOTIFIED, line=line, regime=regime)
        hold_id = (await holds.the_hold(line))["hold_id"]
        recorded = await _post(
            holds, f"/holds/holds/{hold_id}/irregularities", _irregularity(), who
        )
        assert recorded.status_code == 201, recorded.text
        ids.append(recorded.json()["irregularity_id"])
    end = datetime.now(UTC) + timedelta(seconds=1)
    period = {"from": start.isoformat(), "to": end.isoformat()}

    listed = await holds.client.get("/holds/irregularities", params=period, headers=OFFICER)
    assert listed.status_code == 200, listed.text
    assert [r["irregularity_id"] for r in listed.json()] == ids
    assert [r["authority"] for r in listed.json()] == ["NVWA", "PD"]

    exported = await holds.client.get(
        "/holds/irregularities", params={**period, "format": "csv"}, headers=bearer("admin")
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ids
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["parties"] == (
        "importer: Fresh Meat Import BV (NL123456789); consignor: Frigorifico SA"
    )
    # A cell a spreadsheet would run as a formula is kept as text.
    assert first["measures_statement"].startswith("'=HYPERLINK(")

    before = {"from": (start - timedelta(days=2)).isoformat(), "to": start.isoformat()}
    empty = await holds.client.get("/holds/irregularities", params=before, headers=NVWA)
    assert empty.json() == []
    reversed_period = {"from": end.isoformat(), "to": start.isoformat()}
    wrong = await holds.client.get("/holds/irregularities", params=reversed_period, headers=PD)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["rule"] == "period.order"
    naive = {"from": "2026-01-01T00:00:00", "to": end.isoformat()}
    assert (
        await holds.client.get("/holds/irregularities", params=naive, headers=PD)
    ).status_code == 422
    for who in (ANALYST, bearer("terminal:ECTDELTA")):
        refused = await holds.client.get("/holds/irregularities", params=period, headers=who)
        assert refused.status_code == 403
    assert EXPORT_MAX >= 1000


async def test_outcomes_counted_per_indicator(holds: Holds) -> None:
    start = datetime.now(UTC)
    closing = [
        ("1", [BEEF], "not_controlled"),
        ("2", [BEEF, SALMON], "prenotified_not_registered"),
        ("3", [SALMON], "bilateral_agreement"),
        ("4", [BEEF], "handed_to_authority"),
        ("5", [SALMON], None),  # still open: not counted
    ]
    for line, reasons, outcome in closing:
        await holds.decide(1, D.UNNOTIFIED, line=line, reasons=reasons)
        base = f"/holds/cases/{(await _the_case(holds, line))['case_id']}"
        await _post(holds, f"{base}/contacts", _contact(), OFFICER)
        if outcome == "prenotified_not_registered":
            link = {"reference": f"CHEDP.{line}", "received_by": "fax"}
            await _post(holds, f"{base}/references", link, OFFICER)
        if outcome is not None:
            closed = await _post(holds, f"{base}/close", {"outcome": outcome}, OFFICER)
            assert closed.status_code == 200, closed.text
    period = {
        "from": start.isoformat(),
        "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
    }
    answer = await holds.client.get("/holds/cases/statistics", params=period, headers=ANALYST)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["false_positive_outcomes"] == ["bilateral_agreement", "not_controlled"]
    per = {s["indicator"]: s for s in body["indicators"]}
    assert set(per) == {"vet/cn:0201", "vet/keyword:salmon"}
    beef, salmon = per["vet/cn:0201"], per["vet/keyword:salmon"]
    assert beef["closed"] == 3
    assert beef["by_outcome"] == {
        "not_controlled": 1,
        "prenotified_not_registered": 1,
        "handed_to_authority": 1,
    }
    assert beef["false_positive_rate"] == pytest.approx(1 / 3)
    assert salmon["closed"] == 2
    assert salmon["false_positive_rate"] == pytest.approx(1 / 2)

    earlier = {"from": (start - timedelta(days=1)).isoformat(), "to": start.isoformat()}
    none = await holds.client.get("/holds/cases/statistics", params=earlier, headers=ANALYST)
    assert none.json()["indicators"] == []
    terminal = await holds.client.get(
        "/holds/cases/statistics", params=period, headers=bearer("terminal:ECTDELTA")
    )
    assert terminal.status_code == 403
