"""What a sender of pre-notifications gets back, whatever the channel (the API, an uploaded
file, a watched directory): per record its outcome and issues; and the file intake.
`handlers.intake` does the work; this module shapes its results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from pnm.prenotification import handlers
from pnm.prenotification.adapters.files import parse_file
from pnm.prenotification.adapters.postgres_store import PostgresNotificationStore
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.adapters.tables import intake_file
from pnm.shared import files
from pnm.shared.db import UnitOfWork
from pnm.shared.files import Row
from pnm.shared.intake.model import Submission
from pnm.shared.service import ServiceContext


class IssueOut(BaseModel):
    field: str
    value: str | None
    rule: str
    message: str
    severity: Literal["error", "flag"]


class IntakeOut(BaseModel):
    outcome: Literal["created", "amended", "ignored", "rejected"]
    reference: str | None
    version: int | None
    status: str | None
    issues: list[IssueOut]
    rejection_id: int | None
    row_number: int | None = None  # the file row, or the position in a bulk request


class FileOut(files.FileReceipt):
    created: int
    amended: int
    ignored: int
    rejected: int
    rejections: list[IntakeOut]


def intake_out(result: handlers.NotificationResult) -> IntakeOut:
    return IntakeOut(
        outcome=result.outcome,
        reference=result.reference,
        version=result.version,
        status=result.status,
        issues=[IssueOut(**i.as_json()) for i in result.issues],
        rejection_id=result.rejection_id,
        row_number=result.row_number,
    )


async def receive_file(
    ctx: ServiceContext, name: str, content: bytes, authorise: handlers.Authorise
) -> FileOut:
    """Take in one export file, once (see pnm.shared.files)."""

    async def process(uow: UnitOfWork, rows: list[Row], source: str) -> dict[str, Any]:
        results = await handlers.intake(
            PostgresNotificationStore(uow),
            [
                Submission(
                    row.payload, "file", source=source, row_number=row.number, problem=row.problem
                )
                for row in rows
            ],
            authorise=authorise,
            data=shipped_reference_data(),
            now=ctx.clock(),
        )
        return {
            **handlers.counts(results),
            "rejections": [
                intake_out(r).model_dump(mode="json") for r in results if r.outcome == "rejected"
            ],
        }

    return FileOut.model_validate(
        await files.receive(ctx.uow_factory, intake_file, name, content, parse_file, process)
    )
