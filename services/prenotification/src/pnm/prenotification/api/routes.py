"""The pre-notification service's HTTP API: parse, authorise, call the handlers or the views,
map outcomes to status codes (`_single_response`, the one place rule names become codes).
Who may write what is in `authorisation`, reads in `views`, intake results in `intake`."""

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from pnm.prenotification import feeds, handlers, views
from pnm.prenotification.adapters.postgres_store import PostgresNotificationStore
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.adapters.tables import rejections
from pnm.prenotification.api.schemas import (
    BulkIn,
    BulkOut,
    CertificateIn,
    CertificateOut,
    EmergencyIn,
    Refusal,
    VersionOut,
)
from pnm.prenotification.authorisation import (
    AUTHORITY_WRITERS,
    FEED_AUTHORITY,
    FEED_WRITERS,
    feed_authorisation,
    rejection_origin,
    resubmitters,
    same_system,
    written_authorisation,
)
from pnm.prenotification.domain.references import ReferenceFormatError, parse_reference
from pnm.prenotification.intake import FileOut, IntakeOut, intake_out, receive_file
from pnm.shared import files
from pnm.shared.access import (
    OFFICIAL_READERS,
    AuthoriseFirst,
    Caller,
    OfficialReader,
    Requires,
    require_any,
)
from pnm.shared.auth import Principal
from pnm.shared.contracts.limits import Instant
from pnm.shared.contracts.records import FeedStatus, PreNotification
from pnm.shared.http import MAX_OFFSET, DomainError, RowId, json_body, raw_json
from pnm.shared.intake.model import Submission
from pnm.shared.roles import Role, feed_role
from pnm.shared.service import ServiceContext

# Roles checked before a request's body is read (AuthoriseFirst); the record's own system or
# CHED type is checked after, per record.
FeedWriter = Annotated[Principal, Depends(Requires(*FEED_WRITERS))]
AuthorityWriter = Annotated[Principal, Depends(Requires(*AUTHORITY_WRITERS))]
Resubmitter = Annotated[Principal, Depends(Requires(*FEED_WRITERS, *AUTHORITY_WRITERS))]
PlantAuthority = Annotated[Principal, Depends(Requires(Role.PD_INSPECTOR, Role.ADMIN))]
FeedHeartbeat = Annotated[
    Principal, Depends(Requires(*(feed_role(s) for s in get_args(feeds.System)), Role.ADMIN))
]
INTAKE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": IntakeOut, "description": "amended, or an already known version (ignored)"},
    401: {"model": Refusal, "description": "no valid token"},
    403: {"model": Refusal, "description": "the token may not write this record"},
    409: {"model": Refusal, "description": "a status change the lifecycle does not allow"},
    422: {"model": Refusal, "description": "invalid record: every problem with field, value, rule"},
}

# The routes that take one record: 201 when created, otherwise as INTAKE_RESPONSES says.
ONE_RECORD: dict[str, Any] = {
    "status_code": 201,
    "tags": ["intake"],
    "responses": INTAKE_RESPONSES,
    "response_model": IntakeOut,
    "openapi_extra": json_body(PreNotification),
}


def _single_response(
    result: handlers.NotificationResult, response: Response
) -> IntakeOut | JSONResponse:
    out = intake_out(result)
    if result.outcome == "rejected":
        rules = {i.rule for i in result.issues}
        code = (
            403
            if rules & {"auth.role", "auth.channel"}
            else 409
            if "status.transition" in rules
            else 422
        )
        detail = "; ".join(f"{i.field}: {i.message}" for i in result.issues)
        return JSONResponse(
            Refusal(
                detail=detail, issues=out.issues, rejection_id=result.rejection_id
            ).model_dump(),
            status_code=code,
        )
    response.status_code = (
        status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
    )
    return out


def normalised_reference(reference: str) -> str:
    try:
        return parse_reference(reference).normalised
    except ReferenceFormatError as err:
        raise DomainError(404, f"no pre-notification with reference {reference!r}: {err}") from err


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(route_class=AuthoriseFirst)
    data = shipped_reference_data()

    async def take(
        submissions: list[Submission], authorise: handlers.Authorise
    ) -> list[handlers.NotificationResult]:
        async with ctx.uow_factory() as uow:
            results = await handlers.intake(
                PostgresNotificationStore(uow),
                submissions,
                authorise=authorise,
                data=data,
                now=ctx.clock(),
            )
            await uow.commit()
        return results

    async def take_one(
        submission: Submission, authorise: handlers.Authorise, response: Response
    ) -> IntakeOut | JSONResponse:
        [result] = await take([submission], authorise)
        return _single_response(result, response)

    @router.post("/prenotifications", **ONE_RECORD)
    async def submit(
        request: Request, caller: FeedWriter, response: Response
    ) -> IntakeOut | JSONResponse:
        """One pre-notification from a feed (role `feed:client-import` or `feed:vgc`)."""
        record = await raw_json(request)
        submission = Submission(record, "rest", source=caller.subject)
        return await take_one(submission, feed_authorisation(caller), response)

    @router.post(
        "/prenotifications/bulk",
        tags=["intake"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}},
    )
    async def submit_bulk(body: BulkIn, caller: FeedWriter) -> BulkOut:
        """Thousands of records at once; each its own result: bad ones never block good ones."""
        results = await take(
            [
                Submission(record, "bulk", source=caller.subject, row_number=n)
                for n, record in enumerate(body.records)
            ],
            feed_authorisation(caller),
        )
        return BulkOut(**handlers.counts(results), results=[intake_out(r) for r in results])

    @router.post("/written", **ONE_RECORD)
    async def enter_written(
        request: Request, caller: AuthorityWriter, response: Response
    ) -> IntakeOut | JSONResponse:
        """A fax or e-mail pre-notification entered by its authority (`pd-inspector` for CHED-PP,
        `nvwa-inspector` for CHED-P/A/D); the entering officer is recorded."""
        record = await raw_json(request)
        submission = Submission(record, "written", source=caller.subject, entered_by=caller.subject)
        return await take_one(submission, written_authorisation(caller), response)

    @router.post(
        "/files",
        tags=["intake"],
        responses={
            401: {"model": Refusal},
            403: {"model": Refusal},
            415: {"model": Refusal},
            422: {"model": Refusal},
        },
    )
    async def upload_file(
        caller: FeedWriter,
        file: Annotated[
            UploadFile, File(description="a Client Import or VGC export: .jsonl or .csv")
        ],
    ) -> FileOut:
        """An export file (JSON Lines or CSV, see the README for the columns). The same file
        sent again is recognised by its content and not processed twice."""
        name, content = await files.uploaded(file)
        with files.unreadable_is_422():
            return await receive_file(ctx, name, content, feed_authorisation(caller))

    rejections.add_routes(router, ctx.engine, OFFICIAL_READERS)

    @router.post(
        "/rejections/{rejection_id}/resubmit",
        status_code=201,
        tags=["rejections"],
        responses={**INTAKE_RESPONSES, 404: {"model": Refusal}},
        response_model=IntakeOut,
        openapi_extra=json_body(PreNotification),
    )
    async def resubmit(
        rejection_id: RowId, request: Request, caller: Resubmitter, response: Response
    ) -> IntakeOut | JSONResponse:
        """The corrected record for a refused input, by the system the input came from (an
        authority for a written entry); on acceptance the rejection is closed."""
        async with ctx.engine.connect() as conn:
            found = await rejections.open(conn, rejection_id)
        origin = rejection_origin(found.channel, found.payload)
        resubmitters(origin).check(caller)
        record = await raw_json(request)
        written = origin == "written"
        authorise = same_system(
            rejection_id,
            origin,
            written_authorisation(caller) if written else feed_authorisation(caller),
        )
        async with ctx.uow_factory() as uow:
            result = await handlers.resubmit(
                PostgresNotificationStore(uow),
                rejection_id,
                record,
                authorise=authorise,
                entered_by=caller.subject if written else None,
                data=data,
                now=ctx.clock(),
            )
            await uow.commit()
        return _single_response(result, response)

    @router.get(
        "/prenotifications",
        tags=["queries"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}},
    )
    async def search(
        caller: OfficialReader,
        reference: str | None = None,
        container: str | None = None,
        transport_document: str | None = None,
        importer: Annotated[str | None, Query(description="part of the importer's name")] = None,
        bcp: str | None = None,
        system: str | None = None,
        status_: Annotated[str | None, Query(alias="status")] = None,
        arrival_from: Instant | None = None,
        arrival_to: Instant | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[dict[str, Any]]:
        """Pre-notifications by reference, container, transport document, importer, BCP and
        arrival window; ordered by expected arrival, then reference (stable across pages)."""
        wanted = views.Search(
            reference,
            container,
            transport_document,
            importer,
            bcp,
            system,
            status_,
            arrival_from,
            arrival_to,
        )
        async with ctx.engine.connect() as conn:
            return await views.search(conn, wanted, limit, offset)

    @router.get(
        "/prenotifications/{reference}",
        tags=["queries"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}, 404: {"model": Refusal}},
    )
    async def get(reference: str, caller: OfficialReader) -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            found = await views.record(conn, normalised_reference(reference))
        if found is None:
            raise DomainError(404, f"no pre-notification with reference {reference!r}")
        return found

    @router.get(
        "/prenotifications/{reference}/versions",
        tags=["queries"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}, 404: {"model": Refusal}},
    )
    async def versions(reference: str, caller: OfficialReader) -> list[VersionOut]:
        async with ctx.engine.connect() as conn:
            found = await views.versions(conn, normalised_reference(reference))
        if not found:
            raise DomainError(404, f"no pre-notification with reference {reference!r}")
        return [VersionOut(**v) for v in found]

    @router.post(
        "/prenotifications/{reference}/certificate",
        tags=["reduced checks"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}, 404: {"model": Refusal}},
    )
    async def register_certificate(
        reference: str, body: CertificateIn, caller: PlantAuthority
    ) -> CertificateOut:
        """The original phytosanitary certificate of a reduced-check consignment arrived."""
        normalised = normalised_reference(reference)
        at = body.received_at or ctx.clock()
        async with ctx.uow_factory() as uow:
            due = await feeds.register_certificate(PostgresNotificationStore(uow), normalised, at)
            await uow.commit()
        return CertificateOut(
            reference=normalised, registered_at=at, due_at=due, late=bool(due and at > due)
        )

    @router.get("/feeds", tags=["feeds"], responses={401: {"model": Refusal}})
    async def feed_health(caller: Caller) -> list[FeedStatus]:
        """Last record and heartbeat per feed, and whether an emergency procedure runs."""
        async with ctx.engine.connect() as conn:
            return await views.feed_statuses(conn, ctx.clock())

    @router.post(
        "/feeds/{system}/heartbeat",
        tags=["feeds"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}},
    )
    async def heartbeat(system: feeds.System, caller: FeedHeartbeat) -> FeedStatus:
        """A feed says it is alive even when it has nothing to send."""
        require_any(caller, feed_role(system), Role.ADMIN)
        async with ctx.uow_factory() as uow:
            result = await feeds.heartbeat(PostgresNotificationStore(uow), system, ctx.clock())
            await uow.commit()
        return result

    @router.post(
        "/feeds/{system}/emergency",
        tags=["feeds"],
        responses={401: {"model": Refusal}, 403: {"model": Refusal}, 409: {"model": Refusal}},
    )
    async def emergency(
        system: feeds.System, body: EmergencyIn, caller: AuthorityWriter
    ) -> FeedStatus:
        """The feed's authority declares the start or end of an emergency procedure
        (docs/sources.md, "Emergency procedures (seed 000)")."""
        require_any(caller, *FEED_AUTHORITY[system])
        async with ctx.uow_factory() as uow:
            result = await feeds.emergency(
                PostgresNotificationStore(uow),
                system,
                body.action,
                caller.subject,
                body.note,
                ctx.clock(),
            )
            await uow.commit()
        return result

    return router
