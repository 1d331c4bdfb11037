"""What a sender of manifest lines gets back, whatever the channel (the API, an uploaded file,
a watched directory): per line its outcome, the counts, and the refused or flagged lines.
`handlers.declare` does the work; this module shapes its results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from pnm.manifest_ingest import handlers
from pnm.manifest_ingest.adapters.files import parse_file
from pnm.manifest_ingest.adapters.postgres_store import PostgresLineStore
from pnm.manifest_ingest.adapters.tables import intake_file
from pnm.shared import files
from pnm.shared.db import UnitOfWork
from pnm.shared.files import Row
from pnm.shared.intake.model import Submission
from pnm.shared.service import ServiceContext


class LineOut(BaseModel):
    outcome: Literal["declared", "amended", "withdrawn", "ignored", "rejected"]
    manifest_id: str | None
    line_id: str | None
    version: int | None
    issues: list[dict[str, Any]]
    rejection_id: int | None
    row_number: int | None


class LinesOut(BaseModel):
    received: int
    declared: int
    amended: int
    withdrawn: int
    ignored: int
    rejected: int
    results: list[LineOut]  # the refused and the flagged lines; the rest are in the counts


class FileOut(files.FileReceipt):
    declared: int
    amended: int
    withdrawn: int
    ignored: int
    rejected: int
    results: list[LineOut]


def summary(results: list[handlers.LineResult]) -> LinesOut:
    return LinesOut(
        received=len(results),
        **handlers.counts(results),
        results=[LineOut(**r.as_json()) for r in results if r.outcome == "rejected" or r.issues],
    )


async def receive_file(ctx: ServiceContext, name: str, content: bytes) -> FileOut:
    """Take in one manifest export file, once (see pnm.shared.files)."""

    async def process(uow: UnitOfWork, rows: list[Row], source: str) -> dict[str, Any]:
        results = await handlers.declare(
            PostgresLineStore(uow),
            [
                Submission(row.payload, "file", source, row.number, problem=row.problem)
                for row in rows
            ],
            ctx.clock(),
        )
        taken = summary(results).model_dump(mode="json")
        taken.pop("received")
        return taken

    return FileOut.model_validate(
        await files.receive(ctx.uow_factory, intake_file, name, content, parse_file, process)
    )
