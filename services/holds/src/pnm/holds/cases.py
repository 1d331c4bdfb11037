"""Service layer of pre-arrival cases (docs/cases.md): opened with a line's first standing hold,
contacts with the party, linked written pre-notifications, and the closing outcome, which asks
the authority to release the line's holds or hands them over. Every action is audited and
published on `holds.cases.v1`. The caller commits; the rules are in `pnm.holds.domain.case`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, Text, func, insert, literal, select, update
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds import audit
from pnm.holds.adapters.tables import OPEN_CASE, case, case_contact, case_reference, hold
from pnm.holds.audit import Actor
from pnm.holds.domain.case import (
    CaseState,
    CaseStep,
    Outcome,
    apply,
    false_positive_rate,
    releases,
)
from pnm.holds.domain.hold import HOLD_REQUIRED, OPEN_STATES, HoldState, Transition, steps_from
from pnm.holds.lifecycle import SOURCE, locked, snapshot, step
from pnm.shared.contracts.records import CaseChanged, Decision, line_key
from pnm.shared.contracts.topics import CASES, EventType
from pnm.shared.db import UnitOfWork

EVENT_TYPE = {
    "opened": EventType.CASE_OPENED,
    "contact_recorded": EventType.CASE_CONTACT_RECORDED,
    "notification_linked": EventType.CASE_NOTIFICATION_LINKED,
    "closed": EventType.CASE_CLOSED,
}
Action = Literal["opened", "contact_recorded", "notification_linked", "closed"]


class UnknownCase(LookupError):
    pass


class AlreadyLinked(ValueError):
    pass


def flagging_indicators(decided: Decision) -> tuple[str, ...]:
    """The risk indicators that flagged the line for a hold: those of every regime whose
    status needs one, as `<regime>/<indicator>`."""
    return tuple(
        sorted(
            {
                f"{d.regime.value}/{r.indicator}"
                for d in decided.per_regime
                if d.status in HOLD_REQUIRED
                for r in d.reasons
                if r.indicator is not None
            }
        )
    )


@dataclass(frozen=True)
class Contact:
    party_name: str
    party_eori: str | None
    contacted_at: datetime
    channel: str
    question: str
    answer: str


async def open_for(
    uow: UnitOfWork,
    manifest_id: str,
    line_id: str,
    indicators: Iterable[str],
    held: Row[Any],
    now: datetime,
    actor: Actor,
) -> None:
    """The line's case, opened with its first standing hold; a hold of a second regime adds
    its indicators to the case already open."""
    flagged = sorted(set(indicators))
    created = (
        await uow.conn.execute(
            pg_insert(case)
            .values(
                case_id=str(uuid.uuid4()),
                manifest_id=manifest_id,
                line_id=line_id,
                state=CaseState.OPEN.value,
                indicators=flagged,
                opened_by_hold=held.hold_id,
                opened_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[case.c.manifest_id, case.c.line_id],
                index_where=OPEN_CASE,
            )
            .returning(case)
        )
    ).first()
    if created is not None:
        await _audit_and_publish(uow, None, created, "opened", now, actor, f"hold {held.hold_id}")
        return
    current = (
        await uow.conn.execute(
            select(case)
            .where(
                case.c.manifest_id == manifest_id,
                case.c.line_id == line_id,
                case.c.state != CaseState.CLOSED.value,
            )
            .with_for_update()
        )
    ).one()
    if set(flagged) <= set(current.indicators):
        return
    new = (
        await uow.conn.execute(
            update(case)
            .where(case.c.case_id == current.case_id)
            .values(indicators=sorted({*current.indicators, *flagged}), updated_at=now)
            .returning(case)
        )
    ).one()
    await audit.record(
        uow.conn,
        actor=actor,
        action="case.indicators_added",
        subject_type="case",
        subject_id=current.case_id,
        at=now,
        before=snapshot(current),
        after=snapshot(new),
        detail=f"hold {held.hold_id}",
    )


async def load(uow: UnitOfWork, case_id: str) -> Row[Any]:
    """The case, locked for this transaction."""
    return await locked(uow, case.c.case_id, case_id, UnknownCase(f"no case {case_id!r}"))


async def references_of(uow: UnitOfWork, case_id: str) -> list[str]:
    rows = await uow.conn.execute(
        select(case_reference.c.reference)
        .where(case_reference.c.case_id == case_id)
        .order_by(case_reference.c.linked_at, case_reference.c.reference)
    )
    return [r.reference for r in rows]


async def record_contact(
    uow: UnitOfWork, case_id: str, contact: Contact, actor: Actor, now: datetime
) -> Row[Any]:
    row = await load(uow, case_id)
    target = apply(CaseState(row.state), CaseStep.RECORD_CONTACT)
    await uow.conn.execute(
        insert(case_contact).values(
            contact_id=str(uuid.uuid4()),
            case_id=case_id,
            party_name=contact.party_name,
            party_eori=contact.party_eori,
            contacted_at=contact.contacted_at,
            channel=contact.channel,
            question=contact.question,
            answer=contact.answer,
            officer=actor.subject,
            recorded_at=now,
        )
    )
    detail = f"{contact.channel} with {contact.party_name}: {contact.answer}"
    return await _change(uow, row, {"state": target.value}, "contact_recorded", now, actor, detail)


async def link_notification(
    uow: UnitOfWork, case_id: str, reference: str, received_by: str, actor: Actor, now: datetime
) -> Row[Any]:
    """The party sent a written pre-notification (registered by the authority through the
    prenotification service's written channel): the line is to be matched as if it quoted
    the reference."""
    row = await load(uow, case_id)
    target = apply(CaseState(row.state), CaseStep.LINK_NOTIFICATION)
    linked = await uow.conn.execute(
        pg_insert(case_reference)
        .values(
            case_id=case_id,
            reference=reference,
            received_by=received_by,
            linked_by=actor.subject,
            linked_at=now,
        )
        .on_conflict_do_nothing()
        .returning(case_reference.c.reference)
    )
    if linked.first() is None:
        raise AlreadyLinked(f"case {case_id} already links pre-notification {reference!r}")
    detail = f"{reference} received by {received_by}"
    return await _change(
        uow, row, {"state": target.value}, "notification_linked", now, actor, detail
    )


async def close(
    uow: UnitOfWork,
    case_id: str,
    outcome: Outcome,
    note: str | None,
    actor: Actor,
    now: datetime,
) -> Row[Any]:
    """Close with one outcome. A releasing outcome asks the authority to release every standing
    hold of the line, manual ones too: pre-arrival itself concludes (where the hold's state
    allows); handing over keeps them. Closing never releases a hold."""
    row = await load(uow, case_id)
    linked = bool(await references_of(uow, case_id))
    target = apply(CaseState(row.state), CaseStep.CLOSE, outcome, linked)
    closed = await _change(
        uow,
        row,
        {
            "state": target.value,
            "outcome": outcome.value,
            "close_note": note,
            "closed_by": actor.subject,
            "closed_at": now,
        },
        "closed",
        now,
        actor,
        f"{outcome.value}: {note}" if note else outcome.value,
    )
    if releases(outcome):
        await _request_releases(uow, row.manifest_id, row.line_id, outcome, now, actor)
    return closed


async def _request_releases(
    uow: UnitOfWork, manifest_id: str, line_id: str, outcome: Outcome, now: datetime, actor: Actor
) -> None:
    why = f"case closed: {outcome.value}"
    standing = await uow.conn.execute(
        select(hold)
        .where(
            hold.c.manifest_id == manifest_id,
            hold.c.line_id == line_id,
            hold.c.state.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(hold.c.regime)
        .with_for_update()
    )
    for held in standing.all():
        if Transition.REQUEST_RELEASE not in steps_from(HoldState(held.state)):
            continue
        await step(
            uow,
            held,
            Transition.REQUEST_RELEASE,
            now,
            actor,
            reason=why,
            release_reason=why,
            release_requested_at=now,
        )


async def _change(
    uow: UnitOfWork,
    row: Row[Any],
    values: dict[str, Any],
    action: Action,
    now: datetime,
    actor: Actor,
    detail: str,
) -> Row[Any]:
    new: Row[Any] = (
        await uow.conn.execute(
            update(case)
            .where(case.c.case_id == row.case_id)
            .values(updated_at=now, **values)
            .returning(case)
        )
    ).one()
    await _audit_and_publish(uow, row, new, action, now, actor, detail)
    return new


async def _audit_and_publish(
    uow: UnitOfWork,
    before: Row[Any] | None,
    after: Row[Any],
    action: Action,
    now: datetime,
    actor: Actor,
    detail: str,
) -> None:
    await audit.record(
        uow.conn,
        actor=actor,
        action=f"case.{action}",
        subject_type="case",
        subject_id=after.case_id,
        at=now,
        before=None if before is None else snapshot(before),
        after=snapshot(after),
        detail=detail,
    )
    published = CaseChanged(
        case_id=after.case_id,
        manifest_id=after.manifest_id,
        line_id=after.line_id,
        state=after.state,
        action=action,
        references=await references_of(uow, after.case_id),
        outcome=after.outcome,
        indicators=list(after.indicators),
        at=now,
        by=actor.subject,
    )
    key = line_key(after.manifest_id, after.line_id)
    SOURCE.publish(uow, CASES, key, EVENT_TYPE[action], published)


UNATTRIBUTED = "(none)"  # cases of lines no indicator flagged (manual holds)


@dataclass(frozen=True)
class IndicatorOutcomes:
    indicator: str
    by_outcome: dict[Outcome, int]

    @property
    def closed(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def false_positive_rate(self) -> float | None:
        return false_positive_rate(self.by_outcome)


async def outcomes_per_indicator(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[IndicatorOutcomes]:
    """The cases closed in [start, end), counted per indicator that flagged them and outcome
    (a case flagged by two indicators counts for each)."""
    flagged = when(
        (func.cardinality(case.c.indicators) == 0, literal([UNATTRIBUTED], ARRAY(Text))),
        else_=case.c.indicators,
    )
    indicator = func.unnest(flagged).label("indicator")
    rows = await conn.execute(
        select(indicator, case.c.outcome, func.count().label("n"))
        .where(
            case.c.state == CaseState.CLOSED.value,
            case.c.closed_at >= start,
            case.c.closed_at < end,
        )
        .group_by(indicator, case.c.outcome)
    )
    counted: dict[str, dict[Outcome, int]] = {}
    for r in rows:
        counted.setdefault(r.indicator, {})[Outcome(r.outcome)] = r.n
    return [IndicatorOutcomes(i, counted[i]) for i in sorted(counted)]
