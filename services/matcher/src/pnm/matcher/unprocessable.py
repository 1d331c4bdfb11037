"""Fail closed: a line the matcher cannot process is decided `review` (reason
`unprocessable`), published like any decision, and kept as received for the person who
reviews it; never only dead-lettered. Run by the EventProcessor in a fresh transaction once
the line's event is known to be poison (errors of the decision step at commit included)."""

from __future__ import annotations

import logging

from prometheus_client import Counter
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.matcher.adapters.tables import decision, decision_history, unprocessable_line
from pnm.matcher.domain.completeness import LineIdentity, error_text, line_identity
from pnm.matcher.domain.completeness import unprocessable_decision as review_decision
from pnm.matcher.handlers import publish_decision
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision
from pnm.shared.db import UnitOfWork, upsert
from pnm.shared.messaging.processor import is_transient
from pnm.shared.observability import log_fields

log = logging.getLogger(__name__)

UNPROCESSABLE_LINES = Counter(
    "pnm_matcher_unprocessable_lines_total",
    "Manifest lines the matcher could not process, decided review (unprocessable), by error",
    ["error"],
)


async def decide_unprocessable(
    uow: UnitOfWork, event: CloudEvent, error: BaseException, clock: Clock
) -> bool:
    """False when not even the line's identity can be read: the event stays a dead letter
    (and the reconciliation shows it)."""
    identity = line_identity(event.data)
    if identity is None:
        return False
    number = await _next_decision_number(uow, identity)
    decided = review_decision(identity, number, error, clock())
    payload = decided.model_dump(mode="json")
    await _keep_as_current_decision(uow, decided, payload)
    await uow.conn.execute(
        insert(unprocessable_line).values(
            line_digest=identity.digest,
            manifest_id=identity.manifest_id,
            line_id=identity.line_id,
            version=identity.version,
            event_id=event.id,
            event=event.to_json(),
            error=error_text(error),
            decision=payload,
            decided_at=decided.decided_at,
        )
    )
    publish_decision(uow, decided, event.correlationid, payload)
    UNPROCESSABLE_LINES.labels(type(error).__name__).inc()
    return True


async def _next_decision_number(uow: UnitOfWork, identity: LineIdentity) -> int:
    current = await uow.conn.scalar(
        select(decision.c.decision_number).where(
            decision.c.manifest_id == identity.manifest_id, decision.c.line_id == identity.line_id
        )
    )
    earlier = await uow.conn.scalar(
        select(func.max(unprocessable_line.c.decision["decision_number"].as_integer())).where(
            unprocessable_line.c.line_digest == identity.digest
        )
    )
    return max(current or 0, earlier or 0) + 1


async def _keep_as_current_decision(
    uow: UnitOfWork, decided: Decision, payload: dict[str, object]
) -> None:
    """The line's current decision (what `GET /matcher/decisions/...` and the queues show),
    where its identifiers fit the decision table's index; kept in `unprocessable_line` alone
    where they do not (a savepoint keeps the transaction usable)."""
    row = {
        "manifest_id": decided.manifest_id,
        "line_id": decided.line_id,
        "decision_number": decided.decision_number,
        "status": decided.status.value,
        "references": [],
        "payload": payload,
        "decided_at": decided.decided_at,
        "port": None,
        "eta": None,
        "next_deadline": None,
        "feed_held": False,
    }
    try:
        async with uow.conn.begin_nested():
            await upsert(uow.conn, decision, [row], ["manifest_id", "line_id"])
            await uow.conn.execute(
                pg_insert(decision_history)
                .values(
                    manifest_id=decided.manifest_id,
                    line_id=decided.line_id,
                    decision_number=decided.decision_number,
                    status=decided.status.value,
                    payload=payload,
                )
                .on_conflict_do_nothing()
            )
    except Exception as err:
        if is_transient(err):
            raise
        log.warning(
            "unprocessable line kept outside the decision table",
            extra=log_fields(error=error_text(err)),
        )
