"""The holds service's audit trail on a real PostgreSQL: entries written through `record` form a
linear chain, also from concurrent transactions; an entry altered, inserted or deleted in the
database (as the superuser, past the triggers) is found by `GET /holds/audit/verify` and by
`pnm audit verify`; the service's own connection can neither change nor remove an entry; and a
refused request leaves an entry."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from infra import bearer
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from pnm.cli.services import ALL
from pnm.holds.adapters.tables import hold, instruction
from pnm.holds.audit import (
    SYSTEM,
    Action,
    Actor,
    record,
    record_all,
    snapshot,
    stored_entries,
)
from pnm.holds.domain.audit_chain import Content, Head, append, chain
from pnm.shared.runtime import Pipeline

ADMIN = bearer("admin")
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
async def pipeline(database_url: str) -> AsyncIterator[Pipeline]:
    async with Pipeline([ALL["holds"]], database_url=database_url, transport="inprocess") as p:
        yield p


@pytest.fixture
async def client(pipeline: Pipeline) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=pipeline.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
        yield client


@pytest.fixture
async def superuser(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Outside the service: a superuser's session with the triggers off (replica role)."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await conn.execute("SET session_replication_role = replica")
    yield conn
    await conn.close()


async def _write(pipeline: Pipeline, n: int, *, concurrently: bool = True) -> None:
    """`n` entries, each from a transaction of its own, all at once or one after the other."""

    async def one(i: int) -> None:
        async with pipeline.engine.begin() as conn:
            await record(
                conn,
                actor=SYSTEM if i % 2 else Actor("inspector-7", ("nvwa-inspector",), "NVWA"),
                action="hold.opened" if i == 0 else "hold.release_requested",
                subject_type="hold",
                subject_id="H-1",
                at=T0 + timedelta(minutes=i),
                before=None if i == 0 else {"state": "instructed", "n": i - 1},
                after={"state": "released", "n": i, "fee": 12.5, "at": T0},
                detail=f"step {i}",
            )

    if concurrently:
        await asyncio.gather(*(one(i) for i in range(n)))
    else:
        for i in range(n):
            await one(i)


async def _verify(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/holds/audit/verify", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _cli_verify(database_url: str) -> tuple[int, dict[str, Any]]:
    return _cli(database_url, "verify")


def _cli(database_url: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "pnm.cli.main", "audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PNM_HOLDS_DATABASE_URL": database_url},
    )
    return done.returncode, json.loads(done.stdout)


async def test_entries_from_concurrent_transactions_form_one_chain(
    pipeline: Pipeline, client: httpx.AsyncClient, database_url: str
) -> None:
    await _write(pipeline, 40)
    # A rolled-back action leaves no entry and no gap.
    async with pipeline.engine.connect() as conn, conn.begin() as tx:
        await record(
            conn, actor=SYSTEM, action="hold.opened", subject_type="hold", subject_id="H-9", at=T0
        )
        await tx.rollback()
    result = await _verify(client)
    assert result["ok"] is True, result
    assert (result["entries"], result["head_sequence"]) == (40, 40)
    assert result["first_break"] is None
    assert _cli_verify(database_url) == (0, result)

    dossier = await client.get(
        "/holds/audit",
        params={"subject_type": "hold", "subject_id": "H-1", "limit": 1000},
        headers=bearer("customs-prearrival"),
    )
    assert dossier.status_code == 200
    entries = dossier.json()
    assert [e["sequence"] for e in entries] == list(range(1, 41))
    assert {e["actor"]["subject"] for e in entries} == {"pnm-holds", "inspector-7"}
    assert entries[0]["prev_hash"] == "0" * 64
    assert all(a["hash"] == b["prev_hash"] for a, b in itertools.pairwise(entries))
    window = await client.get(
        "/holds/audit",
        params={"from": (T0 + timedelta(minutes=5)).isoformat(), "to": "2026-12-07T08:07:00Z"},
        headers=ADMIN,
    )
    assert sorted(e["detail"] for e in window.json()) == ["step 5", "step 6"]


TRICKY_STATES: list[dict[str, Any]] = [
    {"fee": 1e20, "rate": 2.0, "share": 0.1, "tiny": 1e-7, "zero": -0.0, "huge": 1.5e300},
    {"precise": 123456789.12345679, "big": 10**30, "negative": -(2**70)},
    {"text": 'é\u2028😀 "quoted" \\', "nul": "a\x00b", "lone": "\ud800", "": None},
    {"z": 1, "a": {"nested": [1, [2, {"b": []}], {}]}, "m": True},
    {"at": T0, "eur": Decimal("12.50"), "roles": {"b", "a"}, "nan": float("nan")},
]


async def test_states_of_every_json_shape_read_back_as_hashed(
    pipeline: Pipeline, client: httpx.AsyncClient
) -> None:
    """jsonb normalises numbers and key order; the hash must survive the round trip."""
    async with pipeline.engine.begin() as conn:
        await record_all(
            conn,
            [
                Action(SYSTEM, "hold.changed", "hold", "H-J", T0, before=state, after=state)
                for state in TRICKY_STATES
            ],
        )
    result = await _verify(client)
    assert (result["ok"], result["entries"]) == (True, len(TRICKY_STATES)), result


async def test_a_batch_is_appended_whole_and_in_order(
    pipeline: Pipeline, client: httpx.AsyncClient
) -> None:
    async def batch(name: str) -> None:
        async with pipeline.engine.begin() as conn:
            await record_all(
                conn,
                [Action(SYSTEM, "hold.opened", "hold", f"{name}-{i}", T0) for i in range(20)],
            )

    await asyncio.gather(*(batch(f"B{b}") for b in range(5)))
    result = await _verify(client)
    assert (result["ok"], result["entries"]) == (True, 100)
    listed = await client.get("/holds/audit", params={"limit": 1000}, headers=ADMIN)
    ids = [e["subject_id"] for e in listed.json()]
    # Each transaction's entries are consecutive, in the order recorded.
    for start in range(0, 100, 20):
        name = ids[start].split("-")[0]
        assert ids[start : start + 20] == [f"{name}-{i}" for i in range(20)]


async def _altered(db: asyncpg.Connection) -> None:
    await db.execute("UPDATE holds.audit_entry SET detail = 'nothing happened' WHERE sequence = 3")


async def _inserted(db: asyncpg.Connection) -> None:
    """The best forgery: entry 3 linked to entry 2 and hashed as the service would, the rest
    moved one up (their hashes cannot be remade without rewriting the whole tail)."""
    second = await db.fetchrow("SELECT hash FROM holds.audit_entry WHERE sequence = 2")
    forged = append(
        Head(2, second["hash"]),
        Content(
            T0, "nobody", ("admin",), None, "hold.released", "hold", "H-1", None, None, "done", None
        ),
    )
    await db.execute("UPDATE holds.audit_entry SET sequence = -sequence WHERE sequence >= 3")
    await db.execute("UPDATE holds.audit_entry SET sequence = 1 - sequence WHERE sequence < 0")
    await db.execute(
        """INSERT INTO holds.audit_entry (sequence, at, actor_subject, actor_roles, action,
        subject_type, subject_id, outcome, prev_hash, hash)
        VALUES (3, $1, 'nobody', '{admin}', 'hold.released', 'hold', 'H-1', 'done', $2, $3)""",
        T0,
        forged.prev_hash,
        forged.hash,
    )


async def _deleted(db: asyncpg.Connection) -> None:
    await db.execute("DELETE FROM holds.audit_entry WHERE sequence = 3")


@pytest.mark.parametrize(
    ("tamper", "sequence", "reason"),
    [(_altered, 3, "altered"), (_inserted, 4, "broken_link"), (_deleted, 3, "removed")],
    ids=["altered", "inserted", "deleted"],
)
async def test_tampering_in_the_database_is_found(
    pipeline: Pipeline,
    client: httpx.AsyncClient,
    superuser: asyncpg.Connection,
    database_url: str,
    tamper: Any,
    sequence: int,
    reason: str,
) -> None:
    await _write(pipeline, 6)
    assert (await _verify(client))["ok"] is True
    await tamper(superuser)

    result = await _verify(client)
    assert result["ok"] is False
    assert (result["first_break"]["sequence"], result["first_break"]["reason"]) == (
        sequence,
        reason,
    )
    code, printed = _cli_verify(database_url)
    assert code == 1
    assert printed["first_break"] == result["first_break"]


async def test_a_rewritten_tail_is_found_by_a_hash_kept_outside(
    pipeline: Pipeline,
    client: httpx.AsyncClient,
    superuser: asyncpg.Connection,
    database_url: str,
) -> None:
    """Someone with the owner's rights rewrites entry 3, every later one and the head: the
    chain is whole again; the head hash printed by an earlier verification finds it."""
    await _write(pipeline, 5, concurrently=False)
    earlier = await _verify(client)
    async with snapshot(pipeline.engine) as conn:
        entries = [e async for chunk in stored_entries(conn) for e in chunk]
    forged = dataclasses.replace(entries[2].content, detail="nothing happened")
    rewritten = chain([forged, *(e.content for e in entries[3:])], Head(2, entries[1].hash))
    for entry in rewritten:
        await superuser.execute(
            "UPDATE holds.audit_entry SET detail = $2, prev_hash = $3, hash = $4 "
            "WHERE sequence = $1",
            entry.sequence,
            entry.content.detail,
            entry.prev_hash,
            entry.hash,
        )
    await superuser.execute("UPDATE holds.audit_head SET hash = $1", rewritten[-1].hash)
    assert (await _verify(client))["ok"] is True  # what the chain alone cannot show

    code, result = _cli(database_url, "verify", "--anchor", f"5:{earlier['head_hash']}")
    assert code == 1
    assert (result["first_break"]["sequence"], result["first_break"]["reason"]) == (
        5,
        "anchor_mismatch",
    )


async def test_removing_the_last_entries_is_found(
    pipeline: Pipeline, client: httpx.AsyncClient, superuser: asyncpg.Connection
) -> None:
    await _write(pipeline, 5)
    await superuser.execute("DELETE FROM holds.audit_entry WHERE sequence >= 4")
    result = await _verify(client)
    assert (result["first_break"]["sequence"], result["first_break"]["reason"]) == (4, "removed")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE holds.audit_entry SET detail = 'x' WHERE sequence = 1",
        "DELETE FROM holds.audit_entry WHERE sequence = 1",
        "TRUNCATE holds.audit_entry",
        "INSERT INTO holds.audit_entry SELECT sequence + 10, at, actor_subject, actor_roles, "
        "actor_organisation, action, subject_type, subject_id, before, after, outcome, detail, "
        "prev_hash, hash FROM holds.audit_entry WHERE sequence = 2",
        "UPDATE holds.audit_head SET sequence = 1, hash = (SELECT hash FROM holds.audit_entry "
        "WHERE sequence = 1)",
        "DELETE FROM holds.audit_head",
    ],
    ids=["update", "delete", "truncate", "insert", "rewind-head", "delete-head"],
)
async def test_the_service_cannot_change_or_remove_an_entry(
    pipeline: Pipeline, client: httpx.AsyncClient, statement: str
) -> None:
    await _write(pipeline, 2)
    with pytest.raises(DBAPIError, match=r"append-only|only advances"):
        async with pipeline.engine.begin() as conn:
            await conn.execute(text(statement))
    assert (await _verify(client))["entries"] == 2


async def test_a_refusal_leaves_an_entry(client: httpx.AsyncClient) -> None:
    refused = await client.get("/holds/holds", headers=bearer("feed:dmf", subject="dmf-feed"))
    assert refused.status_code == 403
    unknown = await client.get("/holds/audit/verify", headers={"Authorization": "Bearer nonsense"})
    assert unknown.status_code == 401
    not_an_auditor = await client.get("/holds/audit/verify", headers=bearer("customs-prearrival"))
    assert not_an_auditor.status_code == 403

    trail = await client.get("/holds/audit", params={"subject_type": "request"}, headers=ADMIN)
    entries = trail.json()
    assert [(e["actor"]["subject"], e["after"]["status"]) for e in entries] == [
        ("dmf-feed", 403),
        ("(unidentified)", 401),
        ("test", 403),
    ]
    first = entries[0]
    assert first["actor"]["roles"] == ["feed:dmf"]
    assert first["outcome"] == "refused"
    assert first["action"] == "request.refused"
    assert first["subject_id"] == "GET /holds/holds"
    assert first["detail"] == refused.json()["detail"]
    assert first["after"]["correlation_id"] == refused.headers["X-Correlation-ID"]
    assert "malformed token" in entries[1]["detail"]
    assert (await _verify(client))["ok"] is True


async def test_a_closed_range_exports_with_its_hashes_and_verifies_on_its_own(
    pipeline: Pipeline,
    client: httpx.AsyncClient,
    superuser: asyncpg.Connection,
    database_url: str,
    tmp_path: Path,
) -> None:
    await _write(pipeline, 6, concurrently=False)
    # Entries 1..3 are those before 08:03 (entry i is at 08:00 + i - 1 minutes).
    code, first = _cli(
        database_url, "export", "--until", "2026-12-07T08:03:00+00:00", "--output", str(tmp_path)
    )
    assert code == 0, first
    assert (first["first_sequence"], first["last_sequence"], first["entries"]) == (1, 3, 3)
    code, rest = _cli(
        database_url, "export", "--from", "4", "--until", "6", "--output", str(tmp_path)
    )
    assert code == 0, rest
    # The ranges join: the second starts from the hash the first ends with.
    assert rest["start_prev_hash"] == first["last_hash"]
    assert rest["last_hash"] == (await _verify(client))["head_hash"]
    code, checked = _cli(database_url, "verify", "--archive", rest["manifest"])
    assert (code, checked["ok"], checked["entries"]) == (0, True, 3)

    # An archive altered after the export fails on its own, without the database.
    lines = Path(first["manifest"]).with_name(first["file"])
    text_lines = lines.read_text().splitlines(keepends=True)
    text_lines[1] = text_lines[1].replace("step ", "no step ")
    lines.write_text("".join(text_lines))
    code, checked = _cli(database_url, "verify", "--archive", first["manifest"])
    assert code == 1
    assert (checked["first_break"]["sequence"], checked["first_break"]["reason"]) == (2, "altered")
    assert checked["sha256_matches"] is False

    # A range that is broken in the database is not exported.
    await _deleted(superuser)
    code, refused = _cli(database_url, "export", "--until", "5", "--output", str(tmp_path / "x"))
    assert code == 1
    assert refused["first_break"]["sequence"] == 3
    assert not list((tmp_path / "x").glob("*.manifest.json"))


async def test_a_refused_state_change_is_rolled_back_and_its_refusal_kept(
    pipeline: Pipeline, client: httpx.AsyncClient
) -> None:
    """A 409: the terminal says it could not apply a block it has already confirmed."""
    async with pipeline.engine.begin() as conn:
        await conn.execute(
            insert(hold).values(
                hold_id="H-409",
                manifest_id="M",
                line_id="1",
                regime="vet",
                authority="nvwa",
                state="acknowledged",
                block_status="applied",
                current_instruction_id="I-409",
                last_sequence=1,
                terminal="ECTDELTA",
                containers=["MSCU1234565"],
                reason="unnotified",
                decision_number=1,
                opened_at=T0,
            )
        )
        await conn.execute(
            insert(instruction).values(
                instruction_id="I-409",
                hold_id="H-409",
                action="block",
                terminal="ECTDELTA",
                sequence=1,
                payload={},
                issued_at=T0,
                ack_result="applied",
            )
        )
    ack = {
        "instruction_id": "I-409",
        "terminal": "ECTDELTA",
        "result": "rejected",
        "at": T0.isoformat(),
    }
    refused = await client.post("/holds/acks", json=ack, headers=bearer("terminal:ECTDELTA"))
    assert refused.status_code == 409

    async with pipeline.engine.connect() as conn:
        kept = (
            await conn.execute(
                select(instruction.c.ack_result).where(instruction.c.instruction_id == "I-409")
            )
        ).scalar_one()
    assert kept == "applied"  # the request's work is rolled back
    [entry] = (
        await client.get("/holds/audit", params={"subject_type": "request"}, headers=ADMIN)
    ).json()
    assert (entry["subject_id"], entry["after"]["status"]) == ("POST /holds/acks", 409)
    assert entry["actor"]["roles"] == ["terminal:ECTDELTA"]
    assert entry["detail"] == refused.json()["detail"]
