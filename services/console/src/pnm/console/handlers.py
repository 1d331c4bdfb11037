"""Events into the console's read model (adapters/tables.py). Each part of a row keeps its own
version (line version, decision number, the time of a hold's or a case's change), so events
that arrive late or twice never take a row back. First moments (the first warning, a hold's
instruction and acknowledgement, a case's opening) are the earliest seen, whatever the order.
Arrivals and ETA updates are kept per manifest and applied to its lines whenever a line or one
of them comes, so that a line declared after its arrival still shows it."""

from __future__ import annotations

from sqlalchemy import Table, and_, func, or_, select
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
    await _settle(
        uow, and_(line.c.manifest_id == declared.manifest_id, line.c.line_id == declared.line_id)
    )


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
    await uow.conn.execute(
        insert(arrival)
        .values(
            event_id=event.id,
            manifest_id=arrived.manifest_id,
            containers=arrived.containers,
            arrived_at=arrived.arrived_at,
        )
        .on_conflict_do_nothing()
    )
    await _settle(uow, _concerned(arrived.manifest_id, arrived.containers))


async def on_eta(uow: UnitOfWork, event: CloudEvent) -> None:
    updated = EtaUpdate.model_validate(event.data)
    await uow.conn.execute(
        insert(eta_update)
        .values(
            event_id=event.id,
            manifest_id=updated.manifest_id,
            containers=updated.containers,
            eta=updated.eta,
            sent_at=event.time,
        )
        .on_conflict_do_nothing()
    )
    await _settle(uow, _concerned(updated.manifest_id, updated.containers))


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
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[line.c.manifest_id, line.c.line_id],
            set_={name: statement.excluded[name] for name in facts},
            where=or_(
                line.c.decision_number.is_(None),
                line.c.decision_number < statement.excluded.decision_number,
            ),
        )
    )
    if is_flag(decided):
        # The first warning stays, even when an older flag is applied after a newer decision.
        await uow.conn.execute(
            line.update()
            .where(line.c.manifest_id == decided.manifest_id, line.c.line_id == decided.line_id)
            .values(flagged_at=func.least(line.c.flagged_at, decided.decided_at))
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
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[hold.c.hold_id],
            set_={name: statement.excluded[name] for name in facts},
            where=hold.c.changed_at <= statement.excluded.changed_at,
        )
    )
    # The opening, the first instruction and the first acknowledgement (the terminal's time to
    # answer), whether this change is the latest or came late. least() passes over NULLs.
    await uow.conn.execute(
        hold.update()
        .where(hold.c.hold_id == changed.hold_id)
        .values(
            {
                moment: func.least(hold.c[moment], values[moment])
                for moment in ("opened_at", "instructed_at", "acknowledged_at")
                if values[moment] is not None
            }
        )
    )


async def on_case(uow: UnitOfWork, event: CloudEvent) -> None:
    changed = CaseChanged.model_validate(event.data)
    facts = case_facts(changed)
    statement = insert(case).values(case_id=changed.case_id, opened_at=changed.at, **facts)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[case.c.case_id],
            set_={name: statement.excluded[name] for name in facts},
            where=case.c.changed_at <= statement.excluded.changed_at,
        )
    )
    # Opened at its earliest change, whether this one is the latest or came late.
    await uow.conn.execute(
        case.update()
        .where(case.c.case_id == changed.case_id)
        .values(opened_at=func.least(case.c.opened_at, changed.at))
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
