"""Service layer: store a pre-notification version and stage its event; the caller commits."""

from __future__ import annotations

from pnm.prenotification.adapters.tables import prenotification
from pnm.prenotification.domain.intake import EVENT_TYPE, IntakeOutcome, outcome
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import PreNotification
from pnm.shared.contracts.topics import PRENOTIFICATIONS
from pnm.shared.db import UnitOfWork, upsert_newer

SOURCE = "/pnm/prenotification"


async def submit(uow: UnitOfWork, record: PreNotification) -> IntakeOutcome:
    written = await upsert_newer(
        uow.conn,
        prenotification,
        [
            {
                "reference": record.reference,
                "version": record.version,
                "system": record.system,
                "status": record.status.value,
                "record": record.model_dump(mode="json"),
            }
        ],
        key=["reference"],
    )
    result = outcome(bool(written), bool(written and written[0].inserted))
    if result is not IntakeOutcome.IGNORED:
        uow.publish(
            PRENOTIFICATIONS,
            record.reference,
            new_event(
                type=EVENT_TYPE[result], source=SOURCE, subject=record.reference, record=record
            ),
        )
    return result
