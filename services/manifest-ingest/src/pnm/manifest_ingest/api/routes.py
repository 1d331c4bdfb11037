from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from pnm.manifest_ingest import handlers
from pnm.manifest_ingest.adapters.files import parse_file
from pnm.manifest_ingest.adapters.tables import (
    feed,
    intake_file,
    line_version,
    manifest_line,
    rejections,
)
from pnm.shared import files
from pnm.shared.auth import (
    OFFICIAL_READERS,
    AuthoriseFirst,
    Caller,
    OfficialReader,
    Principal,
    Requires,
)
from pnm.shared.contracts.limits import Instant
from pnm.shared.contracts.records import Arrival, EtaUpdate, ManifestLine, Mode
from pnm.shared.db import UnitOfWork
from pnm.shared.files import Row
from pnm.shared.http import (
    AUTH_RESPONSES,
    MAX_OFFSET,
    DomainError,
    Problem,
    RowId,
    json_body,
    raw_json,
)
from pnm.shared.identifiers import container_number, transport_document_number
from pnm.shared.service import ServiceContext

MAX_LINES = 20_000
WRITERS = ("feed:dmf", "admin")
# The DMF feed, checked before a request's body is read (AuthoriseFirst).
Writer = Annotated[Principal, Depends(Requires(*WRITERS))]


class ManifestHeader(BaseModel):
    """What every line of one vessel call or flight shares; a line's own value wins."""

    manifest_id: str = Field(min_length=1)
    mode: Mode | None = None
    vessel_imo: str | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    flight_number: str | None = None
    port_of_discharge: str | None = None
    terminal: str | None = None
    eta: datetime | None = None


class LinesIn(BaseModel):
    # Raw objects: each line is validated on its own, so a bad line refuses only itself.
    lines: list[Any] = Field(
        min_length=1,
        max_length=MAX_LINES,
        json_schema_extra={"items": {"$ref": "#/components/schemas/ManifestLine"}},
    )


class ManifestIn(LinesIn):
    header: ManifestHeader


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


class StoredLine(BaseModel):
    manifest_id: str
    line_id: str
    version: int
    withdrawn: bool
    eta: datetime | None  # the current expected arrival: the line's, or a later ETA update
    flags: list[dict[str, Any]]
    raw: dict[str, Any]
    record: dict[str, Any]


class VersionOut(BaseModel):
    version: int
    withdrawn: bool
    changes: list[dict[str, Any]]
    message: str | None
    received_at: datetime
    record: dict[str, Any]


class FeedOut(BaseModel):
    source: str
    last_message_at: datetime | None


def _stored(row: Any) -> StoredLine:
    return StoredLine(
        manifest_id=row.manifest_id,
        line_id=row.line_id,
        version=row.version,
        withdrawn=row.withdrawn,
        eta=row.eta,
        flags=row.flags or [],
        raw=row.raw or {},
        record=row.record,
    )


def _summary(results: list[handlers.LineResult]) -> LinesOut:
    return LinesOut(
        received=len(results),
        **handlers.counts(results),
        results=[LineOut(**r.__dict__) for r in results if r.outcome == "rejected" or r.issues],
    )


class FileOut(BaseModel):
    name: str
    sha256: str
    format: Literal["jsonl", "csv"]
    duplicate: bool  # this exact file was taken in before: nothing was done again
    records: int
    declared: int
    amended: int
    withdrawn: int
    ignored: int
    rejected: int
    results: list[LineOut]


async def receive_file(ctx: ServiceContext, name: str, content: bytes) -> FileOut:
    """Take in one manifest export file, once (see pnm.shared.files)."""

    async def process(uow: UnitOfWork, rows: list[Row], source: str) -> dict[str, Any]:
        results = await handlers.declare(
            uow,
            [
                handlers.Submission(row.payload, "file", source, row.number, row.problem)
                for row in rows
            ],
            ctx.clock(),
        )
        summary = _summary(results).model_dump(mode="json")
        summary.pop("received")
        return summary

    return FileOut.model_validate(
        await files.receive(ctx.uow_factory, intake_file, name, content, parse_file, process)
    )


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["manifests"], route_class=AuthoriseFirst)

    async def take(submissions: list[handlers.Submission]) -> LinesOut:
        async with ctx.uow_factory() as uow:
            results = await handlers.declare(uow, submissions, ctx.clock())
            await uow.commit()
        return _summary(results)

    @router.post("/lines", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def declare_lines(body: LinesIn, caller: Writer) -> LinesOut:
        """Manifest lines from DMF (role `feed:dmf`): new lines, amendments (a higher
        `version`) and withdrawals; older and known versions are ignored."""
        return await take(
            [
                handlers.Submission(line, "rest", caller.subject, n)
                for n, line in enumerate(body.lines)
            ]
        )

    @router.post("/manifests", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def declare_manifest(body: ManifestIn, caller: Writer) -> LinesOut:
        """A whole manifest: the header's values apply to every line that does not give its own.
        Up to 20,000 lines; stored and published in one transaction, bad lines kept aside."""
        header = body.header.model_dump(mode="json", exclude_none=True)
        return await take(
            [
                handlers.Submission(
                    {**header, **line} if isinstance(line, dict) else line,
                    "rest",
                    caller.subject,
                    n,
                )
                for n, line in enumerate(body.lines)
            ]
        )

    @router.post(
        "/rejections/{rejection_id}/resubmit",
        tags=["rejections"],
        responses={**AUTH_RESPONSES, 404: {"model": Problem}, 409: {"model": Problem}},
        response_model=LinesOut,
        openapi_extra=json_body(ManifestLine),
    )
    async def resubmit(
        rejection_id: RowId, request: Request, caller: Writer
    ) -> LinesOut | JSONResponse:
        """The corrected line for a refused one; on acceptance the rejection is closed."""
        line = await raw_json(request)
        async with ctx.engine.connect() as conn:
            await rejections.open(conn, rejection_id)
        async with ctx.uow_factory() as uow:
            results = await handlers.declare(
                uow,
                [handlers.Submission(line, "resubmit", f"rejection {rejection_id}")],
                ctx.clock(),
            )
            [result] = results
            if result.outcome != "rejected" and result.manifest_id and result.line_id:
                await rejections.mark_resubmitted(
                    uow.conn, rejection_id, f"{result.manifest_id}/{result.line_id}", ctx.clock()
                )
            await uow.commit()
        summary = _summary(results)
        if result.outcome == "rejected":  # a Problem like every 422, the reasons in `results`
            return JSONResponse(
                {"detail": "the corrected line was refused", **summary.model_dump(mode="json")},
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        return summary

    rejections.add_routes(router, ctx.engine, OFFICIAL_READERS)

    @router.post(
        "/files",
        responses={**AUTH_RESPONSES, 415: {"model": Problem}, 422: {"model": Problem}},
    )
    async def upload_file(
        caller: Writer,
        file: Annotated[UploadFile, File(description="a DMF manifest export: .jsonl or .csv")],
    ) -> FileOut:
        """A manifest export file (JSON Lines or CSV, see the README for the columns). The same
        file sent again is recognised by its content and not processed twice."""
        name, content = await files.uploaded(file)
        with files.unreadable_is_422():
            return await receive_file(ctx, name, content)

    @router.post("/arrivals", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def record_arrival(record: Arrival, caller: Writer) -> dict[str, str]:
        """A vessel or flight arrived, or only the listed containers were discharged."""
        async with ctx.uow_factory() as uow:
            await handlers.record_arrival(uow, record, ctx.clock())
            await uow.commit()
        return {"manifest_id": record.manifest_id, "status": "recorded"}

    @router.post("/eta", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def update_eta(record: EtaUpdate, caller: Writer) -> dict[str, Any]:
        """A new expected arrival for a vessel or flight, or only for the listed containers."""
        async with ctx.uow_factory() as uow:
            lines = await handlers.update_eta(uow, record, ctx.clock())
            await uow.commit()
        return {"manifest_id": record.manifest_id, "eta": record.eta, "lines": lines}

    @router.get(
        "/manifests/{manifest_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem}},
    )
    async def get_manifest(
        manifest_id: str,
        caller: OfficialReader,
        limit: int = Query(1000, ge=1, le=20_000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[StoredLine]:
        """A manifest's lines in line order, each with its version, status and flags."""
        async with ctx.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(manifest_line)
                    .where(manifest_line.c.manifest_id == manifest_id)
                    .order_by(manifest_line.c.line_id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
        if not rows and offset == 0:
            raise DomainError(404, f"no manifest {manifest_id!r}")
        return [_stored(r) for r in rows]

    @router.get(
        "/manifests/{manifest_id}/lines/{line_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem}},
    )
    async def get_line(manifest_id: str, line_id: str, caller: OfficialReader) -> StoredLine:
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(manifest_line).where(
                        manifest_line.c.manifest_id == manifest_id,
                        manifest_line.c.line_id == line_id,
                    )
                )
            ).first()
        if row is None:
            raise DomainError(404, f"no line {line_id!r} on manifest {manifest_id!r}")
        return _stored(row)

    @router.get(
        "/manifests/{manifest_id}/lines/{line_id}/history",
        responses={**AUTH_RESPONSES, 404: {"model": Problem}},
    )
    async def history(manifest_id: str, line_id: str, caller: OfficialReader) -> list[VersionOut]:
        """Every accepted version of a line: what changed, when, and by which message."""
        async with ctx.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(line_version)
                    .where(
                        line_version.c.manifest_id == manifest_id, line_version.c.line_id == line_id
                    )
                    .order_by(line_version.c.version)
                )
            ).all()
        if not rows:
            raise DomainError(404, f"no line {line_id!r} on manifest {manifest_id!r}")
        return [
            VersionOut(
                version=r.version,
                withdrawn=r.withdrawn,
                changes=r.changes,
                message=r.message,
                received_at=r.received_at,
                record=r.record,
            )
            for r in rows
        ]

    @router.get("/lines", responses=AUTH_RESPONSES)
    async def search(
        caller: OfficialReader,
        container: str | None = None,
        transport_document: str | None = None,
        vessel_imo: str | None = None,
        flight_number: str | None = None,
        eta_from: Instant | None = None,
        eta_to: Instant | None = None,
        withdrawn: bool | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[StoredLine]:
        """Lines by container, transport document, vessel or flight and ETA window; ordered by
        ETA, manifest and line (stable across pages)."""
        query = select(manifest_line).order_by(
            manifest_line.c.eta, manifest_line.c.manifest_id, manifest_line.c.line_id
        )
        if container is not None:
            query = query.where(
                manifest_line.c.containers.contains([container_number(container).value])
            )
        if transport_document is not None:
            wanted = transport_document_number(transport_document)
            query = query.where(
                func.replace(manifest_line.c.transport_document, "-", "") == wanted.replace("-", "")
            )
        if vessel_imo is not None:
            query = query.where(manifest_line.c.vessel_imo == vessel_imo)
        if flight_number is not None:
            query = query.where(
                manifest_line.c.flight_number == flight_number.upper().replace(" ", "")
            )
        if eta_from is not None:
            query = query.where(manifest_line.c.eta >= eta_from)
        if eta_to is not None:
            query = query.where(manifest_line.c.eta < eta_to)
        if withdrawn is not None:
            query = query.where(manifest_line.c.withdrawn == withdrawn)
        async with ctx.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [_stored(r) for r in rows]

    @router.get("/feeds", responses=AUTH_RESPONSES)
    async def feeds(caller: Caller) -> list[FeedOut]:
        """When the DMF feed last sent something (lines or arrivals)."""
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(select(feed).where(feed.c.source == handlers.FEED_SOURCE))
            ).first()
        return [
            FeedOut(
                source=handlers.FEED_SOURCE, last_message_at=row.last_message_at if row else None
            )
        ]

    return router
