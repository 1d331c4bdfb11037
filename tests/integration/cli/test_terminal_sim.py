"""`pnm terminal-sim` as a terminal outside the system: over REST against the holds service on
a real PostgreSQL (block applied and answered, release only after the authority acts), and over
Kafka on its own instruction and ack topics with a client outside the project's code
(confluent-kafka) playing the holds side."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from confluent_kafka import Consumer, Producer
from infra import Broker, bearer, eventually
from test_hold_lifecycle import NVWA, Holds, holds  # noqa: F401 (the holds service fixture)

from pnm.cli.terminal_register import Behaviour, Register
from pnm.cli.terminal_sim import RestChannel, run_terminal
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import Authority, DecisionStatus, TerminalInstruction
from pnm.shared.contracts.topics import (
    EventType,
    terminal_acks_topic,
    terminal_instructions_topic,
)
from pnm.testing.records import container

BOX = container(7)  # the container Holds.decide puts on the line


@pytest.fixture
async def terminal(
    holds: Holds,  # noqa: F811 (the imported fixture)
) -> AsyncIterator[tuple[Register, list[dict[str, Any]]]]:
    """ECTDELTA's simulator polling the holds API with its own terminal token."""
    register, printed = Register(), list[dict[str, Any]]()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=holds.pipeline.app),
        base_url="http://pnm",
        headers=bearer("terminal:ECTDELTA", subject="ECTDELTA"),
    ) as client:
        task = asyncio.create_task(
            run_terminal(
                "ECTDELTA",
                RestChannel(client, "ECTDELTA", poll_seconds=0.1),
                register,
                Behaviour(),
                emit=printed.append,
            )
        )
        yield register, printed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_rest_terminal_applies_the_block_and_lifts_it_only_on_release(
    holds: Holds,  # noqa: F811 (the imported fixture)
    terminal: tuple[Register, list[dict[str, Any]]],
) -> None:
    register, printed = terminal
    await holds.decide(1, DecisionStatus.UNNOTIFIED)

    async def acknowledged() -> dict[str, Any] | None:
        held = await holds.the_hold()
        return held if held["state"] == "acknowledged" else None

    held = await eventually(acknowledged)
    assert register.is_blocked(BOX)
    assert held["block_status"] == "applied"

    # Notified late: the authority is asked; the terminal keeps the block.
    await holds.decide(2, DecisionStatus.NOTIFIED_LATE)
    assert (await holds.the_hold())["state"] == "release_requested"
    assert register.is_blocked(BOX)

    released = await holds.client.post(
        f"/holds/holds/{held['hold_id']}/release", json={"reason": "CHED-P found"}, headers=NVWA
    )
    assert released.status_code == 200, released.text

    async def lifted() -> list[dict[str, Any]] | None:
        done = [h for h in await holds.holds() if h["state"] == "released"]
        return done or None

    [done] = await eventually(lifted)
    assert not register.is_blocked(BOX)
    assert [i["action"] for i in done["instructions"]] == ["block", "release"]
    assert [i["ack_result"] for i in done["instructions"]] == ["applied", "applied"]
    assert [(p["event"], p["action"], p["sequence"]) for p in printed] == [
        ("applied", "block", 1),
        ("applied", "release", 2),
    ]
    assert all(p["answer_refused"] is None for p in printed)


def instruction(
    hold: str, action: Literal["block", "release"], sequence: int, box: str
) -> TerminalInstruction:
    return TerminalInstruction(
        instruction_id=f"{hold}-{sequence}",
        hold_id=hold,
        action=action,
        terminal="ECTDELTA",
        containers=[box],
        transport_document=None,
        manifest_id="SIM-1",
        line_id=hold,
        authority=Authority.NVWA,
        reason="test",
        issued_at=datetime.now(UTC),
        sequence=sequence,
    )


async def test_kafka_terminal_dedupes_orders_and_answers_on_its_own_topic(
    kafka: Broker, tmp_path: Path
) -> None:
    prefix = f"sim{uuid.uuid4().hex[:6]}."
    instructions = prefix + terminal_instructions_topic("ECTDELTA").name
    acks = prefix + terminal_acks_topic("ECTDELTA").name
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:  # as a deployment would (pnm topics --create)
        await admin.create_topics([NewTopic(t, 3, 1) for t in (instructions, acks)])
    finally:
        await admin.close()
    one, two = container(11), container(12)
    sent = [
        instruction("H1", "block", 1, one),
        instruction("H1", "block", 1, one),  # sent again: a duplicate
        instruction("H1", "release", 2, one),
        instruction("H2", "release", 3, two),  # a stand-down overtook...
        instruction("H2", "block", 2, two),  # ...its older block: superseded
        instruction("H3", "block", 1, container(13)),
    ]
    producer = Producer({"bootstrap.servers": kafka.bootstrap})
    for record in sent:
        event = new_event(
            type=EventType.TERMINAL_INSTRUCTION, source="/test", subject="x", record=record
        )
        producer.produce(instructions, event.to_json(), key=record.hold_id.encode())
    assert producer.flush(30) == 0

    register_file = tmp_path / "register.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pnm.cli.main",
        "terminal-sim",
        "--terminal",
        "ECTDELTA",
        "--kafka",
        kafka.bootstrap,
        "--topic-prefix",
        prefix,
        "--register",
        str(register_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap,
            "group.id": f"holds-side-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([acks])
    answers: list[dict[str, Any]] = []
    try:

        async def all_answered() -> bool:
            for message in consumer.consume(num_messages=100, timeout=0.5):
                assert message.error() is None, message.error()
                answers.append(
                    {**json.loads(message.value() or b"{}")["data"], "key": message.key()}
                )
            return len(answers) >= len(sent)

        await eventually(all_answered)
    finally:
        consumer.close()
        process.terminate()
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    out, err = stdout.decode(), stderr.decode()
    by_id: dict[str, list[str]] = {}
    for a in answers:
        assert a["terminal"] == "ECTDELTA"
        assert a["key"] == a["instruction_id"].split("-")[0].encode()  # keyed by hold id
        by_id.setdefault(a["instruction_id"], []).append(a["result"])
    assert by_id == {
        "H1-1": ["applied", "applied"],  # the duplicate gets the same answer again
        "H1-2": ["applied"],
        "H2-3": ["applied"],
        "H2-2": ["rejected"],
        "H3-1": ["applied"],
    }, (answers, err[-2000:])
    printed = [json.loads(line) for line in out.splitlines()]
    # Per hold in order (one partition per hold); holds on other partitions may interleave.
    assert sorted(p["event"] for p in printed) == sorted(
        ["applied", "duplicate", "applied", "applied", "superseded", "applied"]
    ), out
    register = Register.from_json(json.loads(register_file.read_text()))
    assert not register.is_blocked(one) and not register.is_blocked(two)
    assert register.is_blocked(container(13))
