"""A hold's life on a real PostgreSQL (the holds service in-process, fed decisions as the
matcher publishes them): block, acknowledgement, a later decision that only asks the authority,
release by the competent authority alone, the block following the container, stale decisions,
manual blocks."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from infra import bearer, decision_event

from pnm.cli.services import ALL
from pnm.shared.contracts.records import (
    DecisionStatus,
    Reason,
    Regime,
)
from pnm.shared.contracts.topics import DECISIONS
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container

OFFICER = bearer("customs-prearrival", subject="douane-1")
NVWA = bearer("nvwa-inspector", subject="nvwa-1")
PD = bearer("pd-inspector", subject="pd-1")
D = DecisionStatus
_offsets = itertools.count()


@dataclass
class Holds:
    client: httpx.AsyncClient
    pipeline: Pipeline

    async def decide(
        self,
        number: int,
        status: DecisionStatus,
        *,
        terminal: str | None = "ECTDELTA",
        line: str = "1",
        regime: Regime = Regime.VET,
        reasons: list[Reason] | None = None,
    ) -> None:
        await self.process([decision_message(number, status, terminal, line, regime, reasons)])

    async def process(self, messages: list[IncomingMessage]) -> None:
        """Feed decisions to the holds service as one consumed batch."""
        processor = self.pipeline.services["holds"].processor
        assert processor is not None
        await processor.process(messages)

    async def holds(self, line: str = "1") -> list[dict[str, Any]]:
        response = await self.client.get(
            "/holds/holds", params={"manifest_id": "LIFE-1", "line_id": line}, headers=OFFICER
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    async def the_hold(self, line: str = "1") -> dict[str, Any]:
        [held] = [h for h in await self.holds(line) if h["state"] not in ("released", "refused")]
        return held

    async def ack(
        self, instruction: dict[str, Any], result: str = "applied", terminal: str | None = None
    ) -> httpx.Response:
        code = terminal or instruction["terminal"]
        body = {
            "instruction_id": instruction["instruction_id"],
            "terminal": code,
            "result": result,
            "at": datetime.now(UTC).isoformat(),
        }
        return await self.client.post(
            "/holds/acks", json=body, headers=bearer(f"terminal:{code}", subject=code)
        )


def decision_message(
    number: int,
    status: DecisionStatus,
    terminal: str | None = "ECTDELTA",
    line: str = "1",
    regime: Regime = Regime.VET,
    reasons: list[Reason] | None = None,
) -> IncomingMessage:
    """A decision of line `line` of manifest LIFE-1, as the matcher publishes it."""
    event = decision_event(
        "LIFE-1",
        line,
        number=number,
        status=status,
        terminal=terminal,
        containers=[container(7)],
        regime=regime,
        reasons=reasons,
    )
    return IncomingMessage(DECISIONS.name, 0, next(_offsets), None, event)


@pytest.fixture
async def holds(database_url: str) -> AsyncIterator[Holds]:
    async with Pipeline(
        [ALL["holds"]], database_url=database_url, transport="inprocess"
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            yield Holds(client, pipeline)


async def test_block_then_release_by_the_competent_authority_only(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    held = await holds.the_hold()
    assert (held["state"], held["authority"], held["block_status"]) == (
        "instructed",
        "NVWA",
        "pending",
    )
    [block] = held["instructions"]
    assert (block["action"], block["sequence"], block["terminal"]) == ("block", 1, "ECTDELTA")
    assert (await holds.ack(block)).json()["hold_state"] == "acknowledged"

    # Notified late: the authority is asked; the block stays, nothing goes to the terminal.
    await holds.decide(2, D.NOTIFIED_LATE)
    held = await holds.the_hold()
    assert held["state"] == "release_requested"
    assert held["release_reason"] == "decision 2: notified_late"
    assert [i["action"] for i in held["instructions"]] == ["block"]

    hold_id = held["hold_id"]
    for who in (PD, OFFICER, bearer("terminal:ECTDELTA"), bearer("admin")):
        refused = await holds.client.post(
            f"/holds/holds/{hold_id}/release", json={"reason": "checked"}, headers=who
        )
        assert refused.status_code == 403, refused.text
        assert "NVWA" in refused.json()["detail"] or "role" in refused.json()["detail"]
    released = await holds.client.post(
        f"/holds/holds/{hold_id}/release", json={"reason": "CHED-A found"}, headers=NVWA
    )
    assert released.status_code == 200, released.text
    body = released.json()
    assert (body["state"], body["released_by"]) == ("release_instructed", "nvwa-1")
    release = body["instructions"][-1]
    assert (release["action"], release["sequence"]) == ("release", 2)
    assert (await holds.ack(release)).json()["hold_state"] == "released"
    [closed] = await holds.holds()
    assert closed["state"] == "released" and closed["closed_at"] is not None
    again = await holds.client.post(
        f"/holds/holds/{hold_id}/release", json={"reason": "twice"}, headers=NVWA
    )
    assert again.status_code == 409
    assert "closed" in again.json()["detail"]


async def test_a_superseded_decision_does_nothing(holds: Holds) -> None:
    await holds.decide(3, D.NOTIFIED)
    await holds.decide(2, D.UNNOTIFIED)  # delivered late: an older decision
    assert await holds.holds() == []
    await holds.decide(3, D.UNNOTIFIED)  # the same number again: a re-delivery, not news
    assert await holds.holds() == []


async def test_of_a_lines_decisions_in_one_batch_only_the_latest_acts(holds: Holds) -> None:
    # A consumer catching up after an outage reads a line's decision and its successor at
    # once: the block the first would send is already needless.
    await holds.process([decision_message(1, D.UNNOTIFIED), decision_message(2, D.NOTIFIED)])
    assert await holds.holds() == []
    await holds.process([decision_message(4, D.UNNOTIFIED), decision_message(3, D.NOTIFIED)])
    held = await holds.the_hold()
    assert (held["state"], held["decision_number"]) == ("instructed", 4)


async def test_a_late_decision_never_lifts_a_block_and_a_new_need_withdraws_the_request(
    holds: Holds,
) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    [block] = (await holds.the_hold())["instructions"]
    await holds.ack(block)
    for number, status in enumerate((D.NOTIFIED, D.EXEMPT, D.NOT_CONTROLLED, D.REVIEW), 2):
        await holds.decide(number, status)
        held = await holds.the_hold()
        assert held["state"] == "release_requested"
        assert [i["action"] for i in held["instructions"]] == ["block"]
    await holds.decide(6, D.INVALID_NOTIFICATION)
    held = await holds.the_hold()
    assert (held["state"], held["release_reason"]) == ("acknowledged", None)
    assert held["decision_number"] == 6


async def test_the_block_follows_the_container_to_another_terminal(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED, terminal="ECTDELTA")
    [first] = (await holds.the_hold())["instructions"]
    await holds.ack(first)
    await holds.decide(2, D.UNNOTIFIED, terminal="RWG")
    held = await holds.the_hold()
    assert (held["state"], held["terminal"]) == ("instructed", "RWG")
    sent = [(i["action"], i["terminal"], i["sequence"]) for i in held["instructions"]]
    assert sent == [("block", "ECTDELTA", 1), ("block", "RWG", 2), ("release", "ECTDELTA", 3)]
    stand_down = held["instructions"][2]
    assert "moved to terminal RWG" in stand_down["reason"]
    # The terminal left behind stands down; that does not lift the hold.
    assert (await holds.ack(stand_down)).json()["hold_state"] == "instructed"
    # The old terminal cannot answer for the new one.
    assert (await holds.ack(held["instructions"][1], terminal="ECTDELTA")).status_code == 403
    assert (await holds.ack(held["instructions"][1])).json()["hold_state"] == "acknowledged"


async def test_a_rejected_block_is_escalated_and_sent_again_by_a_person(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED)
    [block] = (await holds.the_hold())["instructions"]
    rejected = await holds.ack(block, "rejected")
    assert rejected.json()["hold_state"] == "block_rejected"
    held = await holds.the_hold()
    assert held["escalation"] == "block_rejected"
    again = await holds.client.post(
        f"/holds/holds/{held['hold_id']}/block",
        json={"reason": "terminal fixed its container list"},
        headers=OFFICER,
    )
    assert again.status_code == 200, again.text
    assert (again.json()["state"], again.json()["escalation"]) == ("instructed", None)
    assert [i["sequence"] for i in again.json()["instructions"]] == [1, 2]
    # The first block's late answer moves nothing: a later instruction superseded it.
    late = await holds.ack(block, "applied")
    assert late.json()["hold_state"] == "instructed"


async def test_customs_places_a_manual_block_that_only_the_authority_releases(
    holds: Holds,
) -> None:
    body = {
        "manifest_id": "LIFE-1",
        "line_id": "9",
        "regime": "phyto",
        "terminal": "RWG",
        "containers": [container(9)],
        "reason": "tip from the port authority",
    }
    for who in (NVWA, bearer("terminal:RWG")):
        assert (
            await holds.client.post("/holds/holds/manual", json=body, headers=who)
        ).status_code == 403
    placed = await holds.client.post("/holds/holds/manual", json=body, headers=OFFICER)
    assert placed.status_code == 201, placed.text
    held = placed.json()
    assert (held["origin"], held["authority"], held["state"], held["placed_by"]) == (
        "manual",
        "PD",
        "instructed",
        "douane-1",
    )
    assert held["reason"] == "manual: tip from the port authority"
    twice = await holds.client.post("/holds/holds/manual", json=body, headers=OFFICER)
    assert twice.status_code == 409 and held["hold_id"] in twice.json()["detail"]
    # A decision that needs no hold does not ask to release a manual block.
    await holds.decide(1, D.NOTIFIED, line="9", regime=Regime.PHYTO, terminal="RWG")
    assert (await holds.the_hold("9"))["state"] == "instructed"
    refused = await holds.client.post(
        f"/holds/holds/{held['hold_id']}/release", json={"reason": "x"}, headers=NVWA
    )
    assert refused.status_code == 403
    released = await holds.client.post(
        f"/holds/holds/{held['hold_id']}/release", json={"reason": "inspected"}, headers=PD
    )
    assert released.json()["state"] == "release_instructed"


async def test_a_released_hold_may_be_followed_by_a_new_one(holds: Holds) -> None:
    await holds.decide(1, D.UNNOTIFIED, terminal=None)
    held = await holds.the_hold()
    assert (held["state"], held["escalation"]) == ("unaddressed", "no_terminal")
    released = await holds.client.post(
        f"/holds/holds/{held['hold_id']}/release", json={"reason": "wrong line"}, headers=NVWA
    )
    assert released.json()["state"] == "released"  # no block ever went out
    assert released.json()["instructions"] == []
    await holds.decide(2, D.UNNOTIFIED)
    states = sorted(h["state"] for h in await holds.holds())
    assert states == ["instructed", "released"]
