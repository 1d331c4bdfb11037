"""The audit trail of the holds service (the control dossier, docs/audit.md): `record` from
every action, in the action's own transaction; `verify_trail` walks the whole chain.

An entry written by `record` joins the chain when its transaction commits (a deferred trigger
appends it under the chain's lock: see the migration 8b9690f97e53); a rolled-back action leaves
no entry, and the chain stays gap-free."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pnm.holds.adapters.tables import audit_entry, audit_head, audit_pending
from pnm.holds.domain.audit_chain import ActionResult, Break, Content, Entry, Head, Verifier, plain
from pnm.shared.auth import Principal
from pnm.shared.text import storable

# Identifiers are kept whole up to here (a btree index entry holds about 2,700 bytes).
SUBJECT_ID_MAX = 500
VERIFY_CHUNK = 10_000  # entries read at a time while verifying


@dataclass(frozen=True)
class Actor:
    """Who acted: a token's subject and roles, or the service itself (SYSTEM)."""

    subject: str  # token `sub`, or "pnm-holds" for the service itself
    roles: tuple[str, ...]  # the token's roles; ("system",) for the service
    organisation: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.subject, tuple(sorted(principal.roles)), principal.organisation)


SYSTEM = Actor("pnm-holds", ("system",))


def _text(value: str) -> str:
    return str(storable(value))


def _state(value: Mapping[str, Any] | None) -> Any:
    return None if value is None else storable(plain(value))


@dataclass(frozen=True)
class Action:
    """One entry to record: see `record`."""

    actor: Actor
    action: str  # e.g. "hold.opened", "hold.release_requested", "case.closed"
    subject_type: str  # "hold", "case", ...
    subject_id: str
    at: datetime
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    outcome: ActionResult = "done"
    detail: str | None = None

    def content(self) -> Content:
        return Content(
            at=self.at,
            actor_subject=_text(self.actor.subject),
            actor_roles=tuple(_text(r) for r in self.actor.roles),
            actor_organisation=None
            if self.actor.organisation is None
            else _text(self.actor.organisation),
            action=_text(self.action),
            subject_type=_text(self.subject_type),
            subject_id=_text(self.subject_id[:SUBJECT_ID_MAX]),
            before=_state(self.before),
            after=_state(self.after),
            outcome=self.outcome,
            detail=None if self.detail is None else _text(self.detail),
        )


def _pending(content: Content) -> dict[str, Any]:
    return {
        "at": content.at,
        "actor_subject": content.actor_subject,
        "actor_roles": list(content.actor_roles),
        "actor_organisation": content.actor_organisation,
        "action": content.action,
        "subject_type": content.subject_type,
        "subject_id": content.subject_id,
        "before": content.before,
        "after": content.after,
        "outcome": content.outcome,
        "detail": content.detail,
        "content_digest": content.digest(),
    }


async def record_all(conn: AsyncConnection, actions: Sequence[Action]) -> None:
    """Several entries in one statement (a batch of a consumer), in this order."""
    if actions:
        await conn.execute(insert(audit_pending), [_pending(a.content()) for a in actions])


async def record(
    conn: AsyncConnection,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    outcome: ActionResult = "done",
    detail: str | None = None,
) -> None:
    """Write one entry in the caller's transaction (the caller commits). `before` and `after`
    are the subject's state as JSON-like mappings (times, enums and decimals are kept as text).
    """
    entry = Action(actor, action, subject_type, subject_id, at, before, after, outcome, detail)
    await record_all(conn, [entry])


def entry_of(row: Row[Any]) -> Entry:
    content = Content(
        at=row.at,
        actor_subject=row.actor_subject,
        actor_roles=tuple(row.actor_roles),
        actor_organisation=row.actor_organisation,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        before=row.before,
        after=row.after,
        outcome=row.outcome,
        detail=row.detail,
    )
    return Entry(row.sequence, content, row.prev_hash, row.hash)


@dataclass(frozen=True)
class TrailCheck:
    entries: int  # entries read (up to and including the first break)
    head: Head
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None

    def as_json(self) -> dict[str, Any]:
        found = self.first_break
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_sequence": self.head.sequence,
            "head_hash": self.head.hash,
            "first_break": None
            if found is None
            else {"sequence": found.sequence, "reason": found.reason, "detail": found.detail},
        }


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction on one snapshot: appends go on meanwhile and are not seen."""
    async with engine.connect() as plain_conn:
        conn = await plain_conn.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with conn.begin():
            yield conn


async def stored_entries(
    conn: AsyncConnection,
    *,
    first: int | None = None,
    last: int | None = None,
    chunk: int = VERIFY_CHUNK,
) -> AsyncIterator[list[Entry]]:
    """The entries in sequence order (from `first`, through `last`), `chunk` at a time
    (keyset: constant cost per chunk). Without `first`, from the lowest sequence there is,
    whatever it is (a forged entry 0 must be seen)."""
    query = select(audit_entry).order_by(audit_entry.c.sequence).limit(chunk)
    if last is not None:
        query = query.where(audit_entry.c.sequence <= last)
    after = None if first is None else first - 1
    while True:
        page = query if after is None else query.where(audit_entry.c.sequence > after)
        rows = (await conn.execute(page)).all()
        if rows:
            yield [entry_of(r) for r in rows]
        if len(rows) < chunk:
            return
        after = rows[-1].sequence


async def stored_head(conn: AsyncConnection) -> Head:
    row = (await conn.execute(select(audit_head.c.sequence, audit_head.c.hash))).one()
    return Head(row.sequence, row.hash)


async def verify_trail(
    engine: AsyncEngine,
    chunk: int = VERIFY_CHUNK,
    anchors: Mapping[int, str] | None = None,
) -> TrailCheck:
    """The whole chain against its head, in one snapshot, streamed: memory does not grow
    with the trail. `anchors`: hashes of entries kept outside the database (sequence: hash)."""
    async with snapshot(engine) as conn:
        head = await stored_head(conn)
        verifier = Verifier(anchors=dict(anchors or {}))
        async for entries in stored_entries(conn, chunk=chunk):
            if not verifier.feed(entries):
                break
        return TrailCheck(verifier.entries, head, verifier.finish(head))
