"""Service layer of pre-arrival cases (docs/cases.md): opened with a line's first standing hold,
contacts with the party, linked written pre-notifications, and the closing outcome, which asks
the authority to release the line's holds or hands them over. Every action is audited and
published on `holds.cases.v1`. The caller commits; the rules are in `pnm.holds.domain.case`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pnm.holds.audit import Action, Actor
from pnm.holds.domain.case import CaseState, CaseStep, apply, releases
from pnm.holds.domain.hold import HOLD_REQUIRED, HoldState, Transition, steps_from
from pnm.holds.lifecycle import step
from pnm.holds.store import Case, Contact, Hold, HoldStore, snapshot
from pnm.shared.case_outcomes import CaseOutcome
from pnm.shared.contracts.records import CaseChanged, Decision, line_key
from pnm.shared.contracts.topics import CASES, EventType

EVENT_TYPE = {
    "opened": EventType.CASE_OPENED,
    "contact_recorded": EventType.CASE_CONTACT_RECORDED,
    "notification_linked": EventType.CASE_NOTIFICATION_LINKED,
    "closed": EventType.CASE_CLOSED,
}
CaseAction = Literal["opened", "contact_recorded", "notification_linked", "closed"]


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


async def open_for(
    store: HoldStore,
    manifest_id: str,
    line_id: str,
    indicators: Iterable[str],
    held: Hold,
    now: datetime,
    actor: Actor,
) -> None:
    """The line's case, opened with its first standing hold; a hold of a second regime adds
    its indicators to the case already open."""
    flagged = tuple(sorted(set(indicators)))
    created = await store.open_case(
        Case(
            case_id=str(uuid.uuid4()),
            manifest_id=manifest_id,
            line_id=line_id,
            state=CaseState.OPEN.value,
            indicators=flagged,
            outcome=None,
            close_note=None,
            opened_by_hold=held.hold_id,
            opened_at=now,
            updated_at=now,
            closed_by=None,
            closed_at=None,
        )
    )
    if created is not None:
        await _audit_and_publish(store, None, created, "opened", now, actor, f"hold {held.hold_id}")
        return
    current = await store.open_case_of(manifest_id, line_id)
    if set(flagged) <= set(current.indicators):
        return
    added = sorted({*current.indicators, *flagged})
    new = await store.update_case(current.case_id, {"indicators": added}, now)
    before, after = snapshot(current), snapshot(new)
    action = "case.indicators_added"
    detail = f"hold {held.hold_id}"
    await store.audit(
        Action(actor, action, "case", current.case_id, now, before, after, detail=detail)
    )


async def record_contact(
    store: HoldStore, case_id: str, contact: Contact, actor: Actor, now: datetime
) -> Case:
    row = await store.case(case_id)
    target = apply(CaseState(row.state), CaseStep.RECORD_CONTACT)
    await store.add_contact(case_id, str(uuid.uuid4()), contact, actor.subject, now)
    detail = f"{contact.channel} with {contact.party_name}: {contact.answer}"
    return await _change(
        store, row, {"state": target.value}, "contact_recorded", now, actor, detail
    )


async def link_notification(
    store: HoldStore, case_id: str, reference: str, received_by: str, actor: Actor, now: datetime
) -> Case:
    """The party sent a written pre-notification (registered by the authority through the
    prenotification service's written channel): the line is to be matched as if it quoted
    the reference."""
    row = await store.case(case_id)
    target = apply(CaseState(row.state), CaseStep.LINK_NOTIFICATION)
    if not await store.link_reference(case_id, reference, received_by, actor.subject, now):
        raise AlreadyLinked(f"case {case_id} already links pre-notification {reference!r}")
    detail = f"{reference} received by {received_by}"
    return await _change(
        store, row, {"state": target.value}, "notification_linked", now, actor, detail
    )


async def close(
    store: HoldStore,
    case_id: str,
    outcome: CaseOutcome,
    note: str | None,
    actor: Actor,
    now: datetime,
) -> Case:
    """Close with one outcome. A releasing outcome asks the authority to release every standing
    hold of the line, manual ones too: pre-arrival itself concludes (where the hold's state
    allows); handing over keeps them. Closing never releases a hold."""
    row = await store.case(case_id)
    linked = bool(await store.references(case_id))
    target = apply(CaseState(row.state), CaseStep.CLOSE, outcome, linked)
    closed = await _change(
        store,
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
        await _request_releases(store, row.manifest_id, row.line_id, outcome, now, actor)
    return closed


async def _request_releases(
    store: HoldStore,
    manifest_id: str,
    line_id: str,
    outcome: CaseOutcome,
    now: datetime,
    actor: Actor,
) -> None:
    why = f"case closed: {outcome.value}"
    for held in await store.standing_of_line(manifest_id, line_id):
        if Transition.REQUEST_RELEASE not in steps_from(HoldState(held.state)):
            continue
        await step(
            store,
            held,
            Transition.REQUEST_RELEASE,
            now,
            actor,
            reason=why,
            release_reason=why,
            release_requested_at=now,
        )


async def _change(
    store: HoldStore,
    row: Case,
    values: dict[str, Any],
    action: CaseAction,
    now: datetime,
    actor: Actor,
    detail: str,
) -> Case:
    new = await store.update_case(row.case_id, values, now)
    await _audit_and_publish(store, row, new, action, now, actor, detail)
    return new


async def _audit_and_publish(
    store: HoldStore,
    before: Case | None,
    after: Case,
    action: CaseAction,
    now: datetime,
    actor: Actor,
    detail: str,
) -> None:
    kept_before = None if before is None else snapshot(before)
    await store.audit(
        Action(
            actor,
            f"case.{action}",
            "case",
            after.case_id,
            now,
            kept_before,
            snapshot(after),
            detail=detail,
        )
    )
    published = CaseChanged(
        case_id=after.case_id,
        manifest_id=after.manifest_id,
        line_id=after.line_id,
        state=after.state,
        action=action,
        references=await store.references(after.case_id),
        outcome=after.outcome,
        indicators=list(after.indicators),
        at=now,
        by=actor.subject,
    )
    key = line_key(after.manifest_id, after.line_id)
    store.publish(CASES, key, EVENT_TYPE[action], published)
