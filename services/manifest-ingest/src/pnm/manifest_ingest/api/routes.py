"""The manifest service's HTTP API: parse, authorise, call the handlers or the views, map
"not found" to 404. Reads are in `views`, what a sender gets back in `intake`."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pnm.manifest_ingest import handlers, views
from pnm.manifest_ingest.adapters.postgres_store import PostgresLineStore
from pnm.manifest_ingest.adapters.tables import rejections
from pnm.manifest_ingest.intake import FileOut, LinesOut, receive_file, summary
from pnm.manifest_ingest.views import FeedOut, LineSearch, ManifestLineOut, VersionOut
from pnm.shared import files
from pnm.shared.access import OFFICIAL_READERS, AuthoriseFirst, Caller, OfficialReader, Requires
from pnm.shared.auth import Principal
from pnm.shared.contracts.limits import MANIFEST_RECORDS_MAX, Instant
from pnm.shared.contracts.records import Arrival, EtaUpdate, ManifestLine, Mode
from pnm.shared.http import (
    AUTH_RESPONSES,
    MAX_OFFSET,
    NOT_FOUND,
    DomainError,
    Problem,
    RowId,
    json_body,
    raw_json,
    raw_records,
)
from pnm.shared.intake.model import Submission
from pnm.shared.roles import Role, feed_role
from pnm.shared.service import ServiceContext

WRITERS = (feed_role("dmf"), Role.ADMIN)
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
    lines: list[Any] = raw_records("ManifestLine", MANIFEST_RECORDS_MAX)


class ManifestIn(LinesIn):
    header: ManifestHeader


def _no_line(manifest_id: str, line_id: str) -> DomainError:
    return DomainError(404, f"no line {line_id!r} on manifest {manifest_id!r}")


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["manifests"], route_class=AuthoriseFirst)

    async def take(submissions: list[Submission]) -> LinesOut:
        async with ctx.uow_factory() as uow:
            results = await handlers.declare(PostgresLineStore(uow), submissions, ctx.clock())
            await uow.commit()
        return summary(results)

    @router.post("/lines", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def declare_lines(body: LinesIn, caller: Writer) -> LinesOut:
        """Manifest lines from DMF (role `feed:dmf`): new lines, amendments (a higher
        `version`) and withdrawals; older and known versions are ignored."""
        return await take(
            [Submission(line, "rest", caller.subject, n) for n, line in enumerate(body.lines)]
        )

    @router.post("/manifests", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def declare_manifest(body: ManifestIn, caller: Writer) -> LinesOut:
        """A whole manifest: the header's values apply to every line that does not give its own.
        Up to 20,000 lines; stored and published in one transaction, bad lines kept aside."""
        header = body.header.model_dump(mode="json", exclude_none=True)
        return await take(
            [
                Submission(
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
        async with ctx.uow_factory() as uow:
            result = await handlers.resubmit(
                PostgresLineStore(uow), rejection_id, line, ctx.clock()
            )
            await uow.commit()
        taken = summary([result])
        if result.outcome == "rejected":  # a Problem like every 422, the reasons in `results`
            return JSONResponse(
                {"detail": "the corrected line was refused", **taken.model_dump(mode="json")},
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        return taken

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
            await handlers.record_arrival(PostgresLineStore(uow), record, ctx.clock())
            await uow.commit()
        return {"manifest_id": record.manifest_id, "status": "recorded"}

    @router.post("/eta", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def update_eta(record: EtaUpdate, caller: Writer) -> dict[str, Any]:
        """A new expected arrival for a vessel or flight, or only for the listed containers."""
        async with ctx.uow_factory() as uow:
            lines = await handlers.update_eta(PostgresLineStore(uow), record, ctx.clock())
            await uow.commit()
        return {"manifest_id": record.manifest_id, "eta": record.eta, "lines": lines}

    @router.get("/manifests/{manifest_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
    async def get_manifest(
        manifest_id: str,
        caller: OfficialReader,
        limit: int = Query(1000, ge=1, le=20_000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[ManifestLineOut]:
        """A manifest's lines in line order, each with its version, status and flags."""
        async with ctx.engine.connect() as conn:
            lines = await views.manifest(conn, manifest_id, limit, offset)
        if not lines and offset == 0:
            raise DomainError(404, f"no manifest {manifest_id!r}")
        return lines

    @router.get(
        "/manifests/{manifest_id}/lines/{line_id}", responses={**AUTH_RESPONSES, **NOT_FOUND}
    )
    async def get_line(manifest_id: str, line_id: str, caller: OfficialReader) -> ManifestLineOut:
        async with ctx.engine.connect() as conn:
            found = await views.line(conn, manifest_id, line_id)
        if found is None:
            raise _no_line(manifest_id, line_id)
        return found

    @router.get(
        "/manifests/{manifest_id}/lines/{line_id}/history",
        responses={**AUTH_RESPONSES, **NOT_FOUND},
    )
    async def history(manifest_id: str, line_id: str, caller: OfficialReader) -> list[VersionOut]:
        """Every accepted version of a line: what changed, when, and by which message."""
        async with ctx.engine.connect() as conn:
            versions = await views.history(conn, manifest_id, line_id)
        if not versions:
            raise _no_line(manifest_id, line_id)
        return versions

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
    ) -> list[ManifestLineOut]:
        """Lines by container, transport document, vessel or flight and ETA window; ordered by
        ETA, manifest and line (stable across pages)."""
        wanted = LineSearch(
            container, transport_document, vessel_imo, flight_number, eta_from, eta_to, withdrawn
        )
        async with ctx.engine.connect() as conn:
            return await views.search(conn, wanted, limit, offset)

    @router.get("/feeds", responses=AUTH_RESPONSES)
    async def feeds(caller: Caller) -> list[FeedOut]:
        """When the DMF feed last sent something (lines or arrivals)."""
        async with ctx.engine.connect() as conn:
            return [await views.feed_activity(conn, handlers.FEED_SOURCE)]

    return router
