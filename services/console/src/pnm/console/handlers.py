"""Events into the console's read model (adapters/tables.py). Each part of a row keeps its own
version (line version, decision number, the time of a hold's or a case's change), so events
that arrive late or twice never take a row back. First moments (the first warning, a hold's
instruction and acknowledgement, a case's opening) are the earliest seen, whatever the order.
Arrivals and ETA updates are kept per manifest and applied to its lines whenever a line or one
of them comes, so that a line declared after its arrival still shows it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Table, Text, and_, column, func, or_, select, tuple_, values
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql import ColumnElement

from pnm.console.adapters.tables import (
    arrival,
    case,
    decision_log,
    eta_update,
    feed,
    hold,
    line,
)
from pnm.console.domain.readmodel import (
    case_facts,
    decision_facts,
    hold_facts,
    is_flag,
    line_facts,
)
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import (
    Arrival,
    CaseChanged,
    Decision,
    EtaUpdate,
    FeedStatus,
    HoldStateChanged,
    ManifestLine,
)
from pnm.shared.db import UnitOfWork

_T = TypeVar("_T")


# What a batch brings is staged and written when it commits, one statement per kind of row
# (docs/console-operations.md, "Keeping up"): a burst of thousands of decisions costs a few
# statements, not a few per decision.
STAGED_LINES = "console.lines"
STAGED_DECISIONS = "console.decisions"
STAGED_DECISION_LOG = "console.decision_log"
ROWS_PER_STATEMENT = 1000  # far below asyncpg's 32,767 parameters per statement


async def on_manifest_line(uow: UnitOfWork, event: CloudEvent) -> None:
    declared = ManifestLine.model_validate(event.data)
    staged: dict[tuple[str, str], ManifestLine] = uow.state.setdefault(STAGED_LINES, {})
    key = (declared.manifest_id, declared.line_id)
    if key not in staged or staged[key].version < declared.version:
        staged[key] = declared
    uow.before_commit(STAGED_LINES, _write_lines)


async def _write_lines(uow: UnitOfWork) -> None:
    staged: dict[tuple[str, str], ManifestLine] = uow.state.pop(STAGED_LINES)
    rows = [
        {"manifest_id": key[0], "line_id": key[1], **line_facts(declared)}
        for key, declared in staged.items()
    ]
    for chunk in _chunks(rows):
        statement = insert(line).values(chunk)
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[line.c.manifest_id, line.c.line_id],
                set_={
                    name: statement.excluded[name]
                    for name in chunk[0]
                    if name not in ("manifest_id", "line_id")
                },
                where=or_(
                    line.c.line_version.is_(None),
                    line.c.line_version < statement.excluded.line_version,
                ),
            )
        )
    for keys in _chunks(list(staged)):
        await _settle(uow, tuple_(line.c.manifest_id, line.c.line_id).in_(keys))


def _chunks(rows: list[_T]) -> list[list[_T]]:
    return [rows[i : i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)]


def _applies(facts: Table) -> ColumnElement[bool]:
    """An arrival or ETA update of the line's vessel or flight, or of one of its containers."""
    return and_(
        facts.c.manifest_id == line.c.manifest_id,
        or_(facts.c.containers.is_(None), facts.c.containers.overlap(line.c.containers)),
    )


# The first arrival that applies; the latest ETA update sent that applies (ties: the later ETA,
# so the order of application never matters), else the ETA the line was declared with.
_FIRST_ARRIVAL = select(func.min(arrival.c.arrived_at)).where(_applies(arrival)).scalar_subquery()
_LATEST_ETA = (
    select(eta_update.c.eta)
    .where(_applies(eta_update))
    .order_by(eta_update.c.sent_at.desc(), eta_update.c.eta.desc())
    .limit(1)
    .scalar_subquery()
)


async def _settle(uow: UnitOfWork, lines: ColumnElement[bool]) -> None:
    """The lines' arrival and ETA from every arrival and ETA update kept for their manifest."""
    await uow.conn.execute(
        line.update()
        .where(lines)
        .values(arrived_at=_FIRST_ARRIVAL, eta=func.coalesce(_LATEST_ETA, line.c.eta))
    )


def _concerned(manifest_id: str, containers: list[str] | None) -> ColumnElement[bool]:
    """The lines an arrival or ETA update may change: its manifest's, or only those carrying
    one of its containers (none for an empty list, as the matcher reads it)."""
    where = line.c.manifest_id == manifest_id
    if containers is not None:
        where = and_(where, line.c.containers.overlap(containers))
    return where


async def on_arrival(uow: UnitOfWork, event: CloudEvent) -> None:
    arrived = Arrival.model_validate(event.data)
    await _keep_and_settle(
        uow, arrival, event, arrived.manifest_id, arrived.containers, arrived_at=arrived.arrived_at
    )


async def on_eta(uow: UnitOfWork, event: CloudEvent) -> None:
    updated = EtaUpdate.model_validate(event.data)
    await _keep_and_settle(
        uow,
        eta_update,
        event,
        updated.manifest_id,
        updated.containers,
        eta=updated.eta,
        sent_at=event.time,
    )


async def _keep_and_settle(
    uow: UnitOfWork,
    facts: Table,
    event: CloudEvent,
    manifest_id: str,
    containers: list[str] | None,
    **moments: datetime,
) -> None:
    """Keep an arrival or ETA update (once per event) and apply it to the lines it concerns."""
    await uow.conn.execute(
        insert(facts)
        .values(event_id=event.id, manifest_id=manifest_id, containers=containers, **moments)
        .on_conflict_do_nothing()
    )
    await _settle(uow, _concerned(manifest_id, containers))


async def on_decision(uow: UnitOfWork, event: CloudEvent) -> None:
    decided = Decision.model_validate(event.data)
    uow.state.setdefault(STAGED_DECISION_LOG, []).append(
        {
            "manifest_id": decided.manifest_id,
            "line_id": decided.line_id,
            "decision_number": decided.decision_number,
            "status": decided.status.value,
            "decided_at": decided.decided_at,
        }
    )
    staged: dict[tuple[str, str], StagedDecision] = uow.state.setdefault(STAGED_DECISIONS, {})
    key = (decided.manifest_id, decided.line_id)
    flagged = decided.decided_at if is_flag(decided) else None
    kept = staged.get(key)
    if kept is None:
        staged[key] = StagedDecision(decided, flagged)
    else:
        latest = decided if kept.latest.decision_number < decided.decision_number else kept.latest
        staged[key] = StagedDecision(latest, _earliest(kept.first_flag, flagged))
    uow.before_commit(STAGED_DECISIONS, _write_decisions)


@dataclass(frozen=True)
class StagedDecision:
    """Of a line's decisions in one batch: the latest, and the earliest that flagged it."""

    latest: Decision
    first_flag: datetime | None


def _earliest(one: datetime | None, other: datetime | None) -> datetime | None:
    present = [m for m in (one, other) if m is not None]
    return min(present) if present else None


async def _write_decisions(uow: UnitOfWork) -> None:
    log_rows: list[dict[str, Any]] = uow.state.pop(STAGED_DECISION_LOG)
    staged: dict[tuple[str, str], StagedDecision] = uow.state.pop(STAGED_DECISIONS)
    for logged in _chunks(log_rows):
        await uow.conn.execute(insert(decision_log).values(logged).on_conflict_do_nothing())
    facts = {key: decision_facts(kept.latest) for key, kept in staged.items()}
    rows = [
        {
            "manifest_id": key[0],
            "line_id": key[1],
            "terminal": kept.latest.terminal,
            "transport_document": kept.latest.transport_document,
            "containers": list(kept.latest.containers),
            "flagged_at": kept.first_flag,
            **facts[key],
        }
        for key, kept in staged.items()
    ]
    decided = list(next(iter(facts.values())))  # the columns a decision sets
    for chunk in _chunks(rows):
        statement = insert(line).values(chunk)
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[line.c.manifest_id, line.c.line_id],
                set_={name: statement.excluded[name] for name in decided},
                where=or_(
                    line.c.decision_number.is_(None),
                    line.c.decision_number < statement.excluded.decision_number,
                ),
            )
        )
    # The first warning stays, even when an older flag is applied after a newer decision.
    flags = [(m, ln, kept.first_flag) for (m, ln), kept in staged.items() if kept.first_flag]
    for some in _chunks(flags):
        first = values(
            column("manifest_id", Text),
            column("line_id", Text),
            column("flagged_at", DateTime(timezone=True)),
            name="first_flag",
        ).data(some)
        await uow.conn.execute(
            line.update()
            .where(line.c.manifest_id == first.c.manifest_id, line.c.line_id == first.c.line_id)
            .values(flagged_at=func.least(line.c.flagged_at, first.c.flagged_at))
        )


async def _newer_wins(
    uow: UnitOfWork,
    table: Table,
    key: str,
    row: dict[str, Any],
    facts: Iterable[str],
    at: str = "changed_at",
    earliest: Mapping[str, datetime] | None = None,
) -> None:
    """Insert `row`, or set its `facts` on the stored row unless that one changed later (by
    `at`); the moments in `earliest` keep the earliest seen, whether this change is the latest
    or came late (least() passes over NULLs)."""
    statement = insert(table).values(**row)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={name: statement.excluded[name] for name in facts},
            where=table.c[at] <= statement.excluded[at],
        )
    )
    if earliest:
        await uow.conn.execute(
            table.update()
            .where(table.c[key] == row[key])
            .values({moment: func.least(table.c[moment], t) for moment, t in earliest.items()})
        )


async def on_hold_state(uow: UnitOfWork, event: CloudEvent) -> None:
    changed = HoldStateChanged.model_validate(event.data)
    facts = hold_facts(changed)
    # The opening, the first instruction and the first acknowledgement (the terminal's time to
    # answer).
    moments = {
        "opened_at": changed.at,
        "instructed_at": changed.at if changed.state == "instructed" else None,
        "acknowledged_at": changed.at if changed.state == "acknowledged" else None,
    }
    first = {moment: at for moment, at in moments.items() if at is not None}
    row = {**facts, "hold_id": changed.hold_id, **moments}
    await _newer_wins(uow, hold, "hold_id", row, facts, earliest=first)


async def on_case(uow: UnitOfWork, event: CloudEvent) -> None:
    changed = CaseChanged.model_validate(event.data)
    facts = case_facts(changed)
    row = {"case_id": changed.case_id, "opened_at": changed.at, **facts}
    # Opened at its earliest change.
    await _newer_wins(uow, case, "case_id", row, facts, earliest={"opened_at": changed.at})


async def on_feed(uow: UnitOfWork, event: CloudEvent) -> None:
    status = FeedStatus.model_validate(event.data)
    row = status.model_dump()
    await _newer_wins(uow, feed, "system", row, [n for n in row if n != "system"], at="at")
