"""`pnm terminal-sim --terminal CODE`: a terminal outside the system, using only what a real
terminal may use: its own instruction topic and ack topic on Kafka, or the holds REST API with
a terminal token. It applies blocks and releases to its container register
(pnm.cli.terminal_register, no I/O there), answers every instruction, and prints one JSON line
per action. docs/terminal-sim.md."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pnm.cli.kafka_acls import terminal_principal
from pnm.cli.terminal_register import Behaviour, Downtime, Receipt, ReceivedInstruction, Register
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import TerminalAck
from pnm.shared.contracts.topics import EventType, terminal_acks_topic, terminal_instructions_topic
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options

Emit = Callable[[dict[str, Any]], None]
PAGE = 1000


class ChannelTrouble(RuntimeError):
    """The system could not be reached or failed (not a refusal): try again later."""


class TerminalChannel(Protocol):
    """How the terminal receives its instructions and sends its answers."""

    async def fetch(self) -> list[dict[str, Any]]: ...

    async def answer(self, ack: TerminalAck, hold_id: str) -> str | None:
        """Send the answer; a refusal's text (a 4xx), or None when it was taken."""
        ...

    async def done(self) -> None:
        """Everything fetched so far is answered."""
        ...


def ack_of(terminal: str, outcome: Receipt) -> TerminalAck:
    return TerminalAck(
        instruction_id=outcome.instruction.instruction_id,
        terminal=terminal,
        result=outcome.result,
        detail=outcome.detail,
        at=datetime.now(UTC),
    )


class KafkaChannel:
    """Its own instruction topic in its own consumer group (the group the broker ACLs grant
    the terminal, docs/kafka-security.md); answers on its own ack topic, keyed by hold id.
    Offsets are committed only once everything read is answered."""

    def __init__(self, terminal: str, bootstrap: str, prefix: str = "") -> None:
        options = kafka_client_options(bootstrap, KafkaSecurity())
        self.terminal = terminal
        self.acks = prefix + terminal_acks_topic(terminal).name
        self.consumer = AIOKafkaConsumer(
            prefix + terminal_instructions_topic(terminal).name,
            **options,
            group_id=prefix + terminal_principal(terminal),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)

    async def __aenter__(self) -> KafkaChannel:
        await self.producer.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def fetch(self) -> list[dict[str, Any]]:
        batches = await self.consumer.getmany(timeout_ms=1000)
        return [
            CloudEvent.from_json(record.value).data
            for records in batches.values()
            for record in records
            if record.value is not None
        ]

    async def answer(self, ack: TerminalAck, hold_id: str) -> str | None:
        event = new_event(
            type=EventType.TERMINAL_ACK,
            source=f"/terminal/{self.terminal}",
            subject=ack.instruction_id,
            record=ack,
        )
        await self.producer.send_and_wait(self.acks, event.to_json(), key=hold_id.encode())
        return None

    async def done(self) -> None:
        await self.consumer.commit()


async def unanswered_instructions(client: httpx.AsyncClient, terminal: str) -> list[dict[str, Any]]:
    """The terminal's instructions that have no answer yet, oldest first, in order per hold
    (GET /holds/instructions, docs/terminal-protocol.md)."""
    response = await client.get("/holds/instructions", params={"limit": PAGE})
    if response.status_code >= 500:
        raise ChannelTrouble(f"GET /holds/instructions: {response.status_code}")
    response.raise_for_status()  # 401/403: this terminal's token is wrong, stop
    found = [i for i in response.json() if i["terminal"] == terminal]
    return sorted(found, key=lambda i: (i["issued_at"], i["sequence"]))


class RestChannel:
    """Polls the holds API with a terminal token and answers on POST /holds/acks."""

    def __init__(self, client: httpx.AsyncClient, terminal: str, poll_seconds: float) -> None:
        self.client = client
        self.terminal = terminal
        self.poll_seconds = poll_seconds

    async def fetch(self) -> list[dict[str, Any]]:
        try:
            found = await unanswered_instructions(self.client, self.terminal)
        except httpx.TransportError as err:
            raise ChannelTrouble(f"holds API unreachable: {err!r}") from err
        if not found:
            await asyncio.sleep(self.poll_seconds)
        return found

    async def answer(self, ack: TerminalAck, hold_id: str) -> str | None:
        try:
            response = await self.client.post("/holds/acks", json=ack.model_dump(mode="json"))
        except httpx.TransportError as err:
            raise ChannelTrouble(f"holds API unreachable: {err!r}") from err
        if response.status_code >= 500:
            raise ChannelTrouble(f"POST /holds/acks: {response.status_code}")
        return None if response.status_code == 200 else f"{response.status_code}: {response.text}"

    async def done(self) -> None:
        return None


def print_line(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


class RegisterFile:
    """The register kept in a JSON file (optional), so a restarted terminal remembers what it
    applied; written whole and renamed into place after every action."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> Register:
        if self.path is None or not self.path.exists():
            return Register()
        return Register.from_json(json.loads(self.path.read_text()))

    def save(self, register: Register) -> None:
        if self.path is None:
            return
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        partial.write_text(json.dumps(register.to_json()))
        partial.replace(self.path)


ALWAYS_UP = Downtime()
IN_MEMORY = RegisterFile(None)


async def run_terminal(
    terminal: str,
    channel: TerminalChannel,
    register: Register,
    behaviour: Behaviour,
    downtime: Downtime = ALWAYS_UP,
    emit: Emit = print_line,
    store: RegisterFile = IN_MEMORY,
    retry_seconds: float = 1.0,
) -> None:
    """Run until cancelled: read, apply, answer; nothing at all while down."""
    rng = behaviour.generator()
    started = time.monotonic()
    pending: deque[dict[str, Any]] = deque()

    def say(event: str, **fields: Any) -> None:
        emit({"at": datetime.now(UTC).isoformat(), "terminal": terminal, "event": event, **fields})

    while True:
        up_at = downtime.down_until(time.monotonic() - started)
        if up_at is not None:
            say("down", for_seconds=round(started + up_at - time.monotonic(), 3))
            await asyncio.sleep(started + up_at - time.monotonic())
            say("up")
            continue
        try:
            if not pending:
                pending.extend(await channel.fetch())
                if not pending:
                    await channel.done()
                continue
            payload = pending[0]
            sent = ReceivedInstruction.of(payload)
            reject = None
            if sent.instruction_id not in register.answers:
                delay, reject = behaviour.draw(rng)
                await asyncio.sleep(delay)
            outcome = register.receive(sent, reject)
            store.save(register)
            refused = await channel.answer(ack_of(terminal, outcome), sent.hold_id)
            pending.popleft()
        except ChannelTrouble as err:
            say("unreachable", detail=str(err))
            await asyncio.sleep(retry_seconds)
            continue
        say(
            outcome.kind,
            instruction_id=sent.instruction_id,
            hold_id=sent.hold_id,
            action=sent.action,
            sequence=sent.sequence,
            containers=list(sent.containers),
            answer=outcome.result,
            detail=outcome.detail,
            answer_refused=refused,
            blocked_containers=len(register.blocked),
        )


async def run_terminal_sim(
    terminal: str,
    kafka: str | None,
    url: str | None,
    token: str | None,
    prefix: str | None,
    behaviour: Behaviour,
    downtime: Downtime,
    register_path: Path | None,
    poll_seconds: float,
) -> None:
    store = RegisterFile(register_path)
    register = store.load()
    if kafka is not None:
        topic_prefix = (
            prefix if prefix is not None else os.environ.get("PNM_KAFKA_TOPIC_PREFIX", "")
        )
        async with KafkaChannel(terminal, kafka, topic_prefix) as on_kafka:
            await run_terminal(terminal, on_kafka, register, behaviour, downtime, store=store)
        return
    assert url is not None  # the parser requires --kafka or --url
    bearer = token or os.environ.get("PNM_TOKEN")
    if not bearer:
        raise SystemExit("pnm terminal-sim --url needs --token (or PNM_TOKEN): role terminal:CODE")
    headers = {"Authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        on_rest = RestChannel(client, terminal, poll_seconds)
        await run_terminal(terminal, on_rest, register, behaviour, downtime, store=store)
