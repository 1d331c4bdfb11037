"""The audit trail over HTTP: the dossier of a hold or case for officials, and the chain's
verification for admins and the competent authorities (docs/audit.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from pnm.holds import audit_views
from pnm.holds.api.callers import Auditor
from pnm.holds.api.paging import Limit, Offset
from pnm.holds.audit import verify_trail
from pnm.holds.domain.audit_chain import TrailBreak
from pnm.shared.access import OfficialReader
from pnm.shared.http import AUTH_RESPONSES, invalid_field
from pnm.shared.service import ServiceContext


class ChainBreak(BaseModel):
    sequence: int
    reason: TrailBreak
    detail: str


class Verification(BaseModel):
    ok: bool
    entries: int
    head_sequence: int
    head_hash: str
    first_break: ChainBreak | None = None


class ActorView(BaseModel):
    subject: str
    roles: list[str]
    organisation: str | None


class AuditEntryView(BaseModel):
    sequence: int
    at: datetime
    actor: ActorView
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any
    outcome: str
    detail: str | None
    prev_hash: str
    hash: str


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise invalid_field(
            name, value.isoformat(), "datetime.timezone", "give the time with its offset (Z)"
        )
    return value


def add_audit_routes(router: APIRouter, ctx: ServiceContext) -> None:
    """The audit routes on the holds service's router (an AuthoriseFirst router: the role is
    checked before the query is read). Added to it rather than included as a router of their
    own, so that they are among its routes (the route walk of
    tests/integration/shared/test_authorise_first.py)."""

    @router.get("/audit/verify", responses=AUTH_RESPONSES, tags=["audit"])
    async def verify(caller: Auditor) -> Verification:
        """Walk the whole chain: `ok`, or the first entry altered, inserted or removed
        (roles: admin, pd-inspector, nvwa-inspector)."""
        return Verification.model_validate((await verify_trail(ctx.engine)).as_json())

    @router.get("/audit", responses=AUTH_RESPONSES, tags=["audit"])
    async def entries(
        caller: OfficialReader,
        subject_type: str | None = Query(None, max_length=100),
        subject_id: str | None = Query(None, max_length=500),
        since: Annotated[datetime | None, Query(alias="from")] = None,
        until: Annotated[datetime | None, Query(alias="to")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[AuditEntryView]:
        """The trail in sequence order: the dossier of one hold or case (`subject_type`,
        `subject_id`), within [`from`, `to`) (officials)."""
        async with ctx.engine.connect() as conn:
            found = await audit_views.entries(
                conn,
                subject_type,
                subject_id,
                _aware("from", since),
                _aware("to", until),
                limit,
                offset,
            )
        return [AuditEntryView.model_validate(e) for e in found]
