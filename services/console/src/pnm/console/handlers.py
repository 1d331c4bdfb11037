"""Events into the console's read model (adapters/tables.py). Each part of a row keeps its own
version (line version, decision number, the time of a hold's or a case's change), so events
that arrive late or twice never take a row back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert

from pnm.console.adapters.tables import case, decision_log, feed, hold, line
from pnm.console.domain.readmodel import case_facts, decision_facts, hold_facts, is_flag, line_facts
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


async def on_manifest_line(uow: UnitOfWork, event: CloudEvent) -> None:
    declared = ManifestLine.model_validate(event.data)
    facts = line_facts(declared)
    statement = insert(line).values(
        manifest_id=declared.manifest_id, line_id=declared.line_id, **facts
    )
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[line.c.manifest_id, line.c.line_id],
            set_={name: statement.excluded[name] for name in facts},
            where=or_(
                line.c.line_version.is_(None),
                line.c.line_version < statement.excluded.line_version,
            ),
        )
    )


def _of_manifest(manifest_id: str, containers: list[str] | None) -> Any:
    """The lines of a manifest, or only those carrying one of the containers."""
    where = line.c.manifest_id == manifest_id
    if containers:
        where = where & line.c.containers.overlap(containers)
    return where


async def on_arrival(uow: UnitOfWork, event: CloudEvent) -> None:
    arrived = Arrival.model_validate(event.data)
    await uow.conn.execute(
        line.update()
        .where(_of_manifest(arrived.manifest_id, arrived.containers))
        .where(or_(line.c.arrived_at.is_(None), line.c.arrived_at > arrived.arrived_at))
        .values(arrived_at=arrived.arrived_at)
    )


async def on_eta(uow: UnitOfWork, event: CloudEvent) -> None:
    updated = EtaUpdate.model_validate(event.data)
    await uow.conn.execute(
        line.update()
        .where(_of_manifest(updated.manifest_id, updated.containers))
        .values(eta=updated.eta)
    )


async def on_decision(uow: UnitOfWork, event: CloudEvent) -> None:
    decided = Decision.model_validate(event.data)
    facts = decision_facts(decided)
    await uow.conn.execute(
        insert(decision_log)
        .values(
            manifest_id=decided.manifest_id,
            line_id=decided.line_id,
            decision_number=decided.decision_number,
            status=decided.status.value,
            decided_at=decided.decided_at,
        )
        .on_conflict_do_nothing()
    )
    values = dict(facts)
    if is_flag(decided):
        values["flagged_at"] = decided.decided_at
    statement = insert(line).values(
        manifest_id=decided.manifest_id,
        line_id=decided.line_id,
        terminal=decided.terminal,
        transport_document=decided.transport_document,
        containers=list(decided.containers),
        **values,
    )
    updates: dict[str, Any] = {name: statement.excluded[name] for name in facts}
    if is_flag(decided):
        # The first warning stays: a later flag of the same line is no earlier warning.
        updates["flagged_at"] = func.coalesce(line.c.flagged_at, statement.excluded.flagged_at)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[line.c.manifest_id, line.c.line_id],
            set_=updates,
            where=or_(
                line.c.decision_number.is_(None),
                line.c.decision_number < statement.excluded.decision_number,
            ),
        )
    )


async def on_hold_state(uow: UnitOfWork, event: CloudEvent) -> None:
    changed = HoldStateChanged.model_validate(event.data)
    facts = hold_facts(changed)
    values = {
        **facts,
        "hold_id": changed.hold_id,
        "opened_at": changed.at,
        "instructed_at": changed.at if changed.state == "instructed" else None,
        "acknowledged_at": changed.at if changed.state == "acknowledged" else None,
    }
    statement = insert(hold).values(**values)
    updates: dict[str, Any] = {name: statement.excluded[name] for name in facts}
    # The first instruction and the first acknowledgement: the terminal's time to answer.
    for moment in ("instructed_at", "acknowledged_at"):
        updates[moment] = func.coalesce(hold.c[moment], statement.excluded[moment])
    updates["opened_at"] = func.least(hold.c.opened_at, statement.excluded.opened_at)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[hold.c.hold_id],
            set_=updates,
            where=hold.c.changed_at <= statement.excluded.changed_at,
        )
    )


async def on_case(uow: UnitOfWork, event: CloudEvent) -> None:
    changed = CaseChanged.model_validate(event.data)
    facts = case_facts(changed)
    statement = insert(case).values(case_id=changed.case_id, opened_at=changed.at, **facts)
    updates: dict[str, Any] = {name: statement.excluded[name] for name in facts}
    updates["opened_at"] = func.least(case.c.opened_at, statement.excluded.opened_at)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[case.c.case_id],
            set_=updates,
            where=case.c.changed_at <= statement.excluded.changed_at,
        )
    )


async def on_feed(uow: UnitOfWork, event: CloudEvent) -> None:
    status = FeedStatus.model_validate(event.data)
    values = status.model_dump()
    statement = insert(feed).values(**values)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[feed.c.system],
            set_={name: statement.excluded[name] for name in values if name != "system"},
            where=feed.c.at <= statement.excluded.at,
        )
    )
