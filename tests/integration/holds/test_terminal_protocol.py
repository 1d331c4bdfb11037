"""The terminal protocol on a real PostgreSQL (the holds service in-process, its clock in the
test's hands): unanswered instructions sent again with a growing wait and escalated to people,
an answer clearing it, superseded instructions never sent again, shadow mode, the REST poll
of a terminal's own instructions, the inspection destination, and an ack refused when it
names another terminal than its topic's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from infra import bearer
from sqlalchemy import func, select
from test_hold_lifecycle import NVWA, OFFICER, PD, Holds, decision_message

from pnm.cli.services import ALL
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.adapters.tables import hold, instruction, messaging
from pnm.holds.resend import resend_due
from pnm.holds.settings import protocol_settings
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import DecisionStatus, TerminalAck
from pnm.shared.contracts.topics import (
    HOLD_STATES,
    EventType,
    terminal_acks_topic,
    terminal_instructions_topic,
)
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.runtime import Pipeline

D = DecisionStatus


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Protocol(Holds):
    clock: Clock

    async def round(self, after_seconds: float) -> None:
        """Let `after_seconds` pass, then run one round of the re-send loop."""
        self.clock.advance(after_seconds)
        ctx = self.pipeline.services["holds"].context
        async with ctx.uow_factory() as uow:
            await resend_due(
                PostgresHoldStore(uow), self.clock(), protocol_settings().resend_policy()
            )
            await uow.commit()

    async def published(self, topic: str) -> list[tuple[str, dict[str, Any]]]:
        """(key, event) of every event the service staged for `topic`, in order."""
        async with self.pipeline.engine.connect() as conn:
            rows = await conn.execute(
                select(messaging.outbox.c.key, messaging.outbox.c.payload)
                .where(messaging.outbox.c.topic == topic)
                .order_by(messaging.outbox.c.id)
            )
            return [(r.key, json.loads(r.payload)) for r in rows]

    async def escalations(self) -> list[dict[str, Any]]:
        states = await self.published(HOLD_STATES.name)
        return [e for _, e in states if e["type"] == EventType.HOLD_ESCALATED]

    async def sends(self) -> list[int]:
        return [i["sends"] for i in (await self.the_hold())["instructions"]]


@pytest.fixture
def protocol_env() -> Iterator[None]:
    protocol_settings.cache_clear()
    yield
    protocol_settings.cache_clear()


@pytest.fixture
async def protocol(database_url: str, protocol_env: None) -> AsyncIterator[Protocol]:
    clock = Clock()
    async with Pipeline(
        [ALL["holds"]], database_url=database_url, transport="inprocess", clock=clock
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            held = Protocol(client, pipeline)
            held.clock = clock
            yield held


async def test_an_unanswered_block_is_sent_again_escalated_and_cleared_by_the_answer(
    protocol: Protocol,
) -> None:
    await protocol.decide(1, D.UNNOTIFIED)
    [block] = (await protocol.the_hold())["instructions"]
    assert (block["delivery"], block["sends"]) == ("kafka", 1)
    await protocol.round(30)
    assert await protocol.sends() == [1]  # the first wait is a minute
    await protocol.round(31)
    assert await protocol.sends() == [2]
    topic = terminal_instructions_topic("ECTDELTA").name
    sent = await protocol.published(topic)
    # The same instruction, twice, as two events; keyed by hold (one partition per hold).
    assert [e["data"]["instruction_id"] for _, e in sent] == [block["instruction_id"]] * 2
    assert len({e["id"] for _, e in sent}) == 2
    assert {key for key, _ in sent} == {block["hold_id"]}

    await protocol.round(900)  # a quarter of an hour unanswered: in front of people
    held = await protocol.the_hold()
    assert (held["state"], held["escalation"]) == ("instructed", "block_unanswered")
    assert held["instructions"][0]["escalated_at"] is not None
    listed = await protocol.client.get("/holds/escalations", headers=OFFICER)
    assert [h["hold_id"] for h in listed.json()] == [held["hold_id"]]
    escalated = await protocol.escalations()
    assert [e["data"]["reason"].split(":")[0] for e in escalated] == ["block_unanswered"]
    await protocol.round(600)  # sent again at the longest wait, not escalated again
    assert await protocol.sends() == [4]
    assert len(await protocol.escalations()) == 1

    # The terminal answers at last: the escalation is cleared and nothing is sent again.
    assert (await protocol.ack(block)).json()["hold_state"] == "acknowledged"
    held = await protocol.the_hold()
    assert held["escalation"] is None
    assert (await protocol.client.get("/holds/escalations", headers=OFFICER)).json() == []
    sends = await protocol.sends()
    await protocol.round(5000)
    assert await protocol.sends() == sends


async def test_a_superseded_block_is_not_sent_again_but_the_stand_down_is(
    protocol: Protocol,
) -> None:
    await protocol.decide(1, D.UNNOTIFIED, terminal="ECTDELTA")
    await protocol.decide(2, D.UNNOTIFIED, terminal="RWG")  # cargo moved, nobody answered
    held = await protocol.the_hold()
    sent = [(i["purpose"], i["terminal"]) for i in held["instructions"]]
    assert sent == [("block", "ECTDELTA"), ("block", "RWG"), ("stand_down", "ECTDELTA")]
    await protocol.round(61)
    assert await protocol.sends() == [1, 2, 2]
    ectdelta = await protocol.published(terminal_instructions_topic("ECTDELTA").name)
    old_block = held["instructions"][0]["instruction_id"]
    assert [e["data"]["instruction_id"] for _, e in ectdelta].count(old_block) == 1


async def test_a_terminal_in_shadow_mode_gets_nothing_and_the_hold_shows_it(
    protocol: Protocol, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PNM_HOLDS_SHADOW_TERMINALS", "ECTDELTA")
    protocol_settings.cache_clear()
    await protocol.decide(1, D.UNNOTIFIED)
    held = await protocol.the_hold()
    [block] = held["instructions"]
    assert (held["state"], block["delivery"], block["action"]) == ("instructed", "shadow", "block")
    await protocol.round(5000)
    held = await protocol.the_hold()
    assert (held["escalation"], held["instructions"][0]["sends"]) == (None, 1)
    assert await protocol.published(terminal_instructions_topic("ECTDELTA").name) == []
    polled = await protocol.client.get(
        "/holds/instructions", headers=bearer("terminal:ECTDELTA", subject="ECTDELTA")
    )
    assert polled.json() == []


async def test_a_terminal_polls_only_its_own_instructions_until_it_answers(
    protocol: Protocol,
) -> None:
    await protocol.decide(1, D.UNNOTIFIED, terminal="ECTDELTA", line="1")
    await protocol.decide(1, D.UNNOTIFIED, terminal="RWG", line="2")
    ect = bearer("terminal:ECTDELTA", subject="ECTDELTA")
    [mine] = (await protocol.client.get("/holds/instructions", headers=ect)).json()
    assert (mine["terminal"], mine["line_id"], mine["sequence"]) == ("ECTDELTA", "1", 1)
    assert (await protocol.ack(mine)).status_code == 200
    assert (await protocol.client.get("/holds/instructions", headers=ect)).json() == []
    history = await protocol.client.get(
        "/holds/instructions", params={"unanswered": "false"}, headers=ect
    )
    assert [i["instruction_id"] for i in history.json()] == [mine["instruction_id"]]
    customs = await protocol.client.get("/holds/instructions", headers=OFFICER)
    assert customs.status_code == 403


async def test_the_authority_directs_the_goods_to_an_inspection_centre(
    protocol: Protocol,
) -> None:
    await protocol.decide(1, D.UNNOTIFIED)
    held = await protocol.the_hold()
    await protocol.ack(held["instructions"][0])
    body = {"destination": "BIP-RTM-2", "reason": "documentary check found a mismatch"}
    url = f"/holds/holds/{held['hold_id']}/destination"
    assert (await protocol.client.post(url, json=body, headers=PD)).status_code == 403
    directed = await protocol.client.post(url, json=body, headers=NVWA)
    assert directed.status_code == 200, directed.text
    view = directed.json()
    assert (view["state"], view["destination"], view["block_status"]) == (
        "instructed",
        "BIP-RTM-2",
        "pending",
    )
    again = view["instructions"][-1]
    assert (again["action"], again["sequence"], again["destination"]) == ("block", 2, "BIP-RTM-2")
    assert (await protocol.ack(again)).json()["hold_state"] == "acknowledged"


async def test_an_ack_naming_another_terminal_than_its_topic_is_dead_lettered_untouched(
    protocol: Protocol,
) -> None:
    await protocol.decide(1, D.UNNOTIFIED, terminal="ECTDELTA")
    [block] = (await protocol.the_hold())["instructions"]
    forged = TerminalAck(
        instruction_id=block["instruction_id"],
        terminal="ECTDELTA",
        result="applied",
        at=datetime.now(UTC),
    )
    event = new_event(type=EventType.TERMINAL_ACK, source="/test", subject="x", record=forged)
    processor = protocol.pipeline.services["holds"].processor
    assert processor is not None
    topic = terminal_acks_topic("RWG").name
    await processor.process([IncomingMessage(topic, 0, 0, None, event.to_json())])
    async with protocol.pipeline.engine.connect() as conn:
        dead = (await conn.execute(select(messaging.dead_letter))).all()
        answered = (
            await conn.execute(
                select(instruction.c.ack_result).where(
                    instruction.c.instruction_id == block["instruction_id"]
                )
            )
        ).scalar()
    assert [(d.topic, "RWG's ack topic" in d.error) for d in dead] == [(topic, True)]
    assert answered is None
    assert (await protocol.the_hold())["state"] == "instructed"


async def test_holds_keep_opening_after_the_fifth_in_a_batch(protocol: Protocol) -> None:
    # PostgreSQL plans a prepared statement generically from its sixth execution on a
    # connection; the ON CONFLICT of the partial index must still find the index then (with
    # bound parameters in its predicate it did not: every later decision was dead-lettered).
    await protocol.process([decision_message(1, D.UNNOTIFIED, line=str(n)) for n in range(40)])
    for line in range(1, 10):  # one after another: the same statement again and again
        await protocol.decide(2, D.UNNOTIFIED, line=str(40 + line))
    async with protocol.pipeline.engine.connect() as conn:
        opened = (await conn.execute(select(func.count()).select_from(hold))).scalar()
        dead = (await conn.execute(select(messaging.dead_letter.c.error))).scalars().all()
    assert (opened, dead) == (49, [])
