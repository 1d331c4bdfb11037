"""Pre-arrival cases over HTTP (docs/cases.md): officials read them, customs pre-arrival works
them (contacts, a linked written pre-notification, the closing outcome), analysts read the
outcomes per risk indicator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from pnm.holds import case_views, cases
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.api.callers import PreArrival
from pnm.holds.api.paging import Limit, Offset
from pnm.holds.audit import Actor
from pnm.holds.domain.case import CaseState
from pnm.holds.store import Case, Contact, HoldStore
from pnm.shared.access import OfficialReader
from pnm.shared.case_outcomes import FALSE_POSITIVE, CaseOutcome
from pnm.shared.contracts.limits import Name, OptionalCode, Reference, in_utc
from pnm.shared.contracts.records import Record
from pnm.shared.http import AUTH_RESPONSES, DomainError, Problem, invalid_field
from pnm.shared.service import ServiceContext

Moment = Annotated[AwareDatetime, AfterValidator(in_utc)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
Channel = Literal["phone", "email", "portal", "letter", "fax", "in_person"]

CASE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"model": Problem, "description": "unknown case"},
    409: {"model": Problem, "description": "the case's state does not allow this action"},
}


class ContactIn(Record):
    party_name: Name
    party_eori: OptionalCode | None = None
    contacted_at: Moment
    channel: Channel
    question: Note
    answer: Note


class LinkIn(Record):
    reference: Reference  # e.g. a CHED (TRACES) or Client Import number
    received_by: Literal["fax", "email", "letter", "portal", "in_person"]


class CloseIn(Record):
    outcome: CaseOutcome
    note: Note | None = None


class IndicatorStatistics(BaseModel):
    indicator: str
    closed: int
    by_outcome: dict[CaseOutcome, int]
    false_positive_rate: float | None


class Statistics(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    false_positive_outcomes: list[CaseOutcome]
    indicators: list[IndicatorStatistics]


def check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise invalid_field("to", end.isoformat(), "period.order", "`to` must be after `from`")


def add_case_routes(router: APIRouter, ctx: ServiceContext) -> None:
    """The case routes on the holds service's router (AuthoriseFirst: the role is checked
    before the body is read)."""

    async def act(action: Callable[[HoldStore], Awaitable[Case]]) -> dict[str, Any]:
        """One officer's action on a case in its own transaction; refusals are 4xx."""
        async with ctx.uow_factory() as uow:
            row = await action(PostgresHoldStore(uow))
            await uow.commit()
        async with ctx.engine.connect() as conn:
            current = await case_views.one(conn, row.case_id)
        if current is None:  # committed a moment ago, and cases are never deleted
            raise DomainError(404, f"no case {row.case_id!r}")
        return current

    @router.get("/cases/statistics", responses=AUTH_RESPONSES, tags=["cases"])
    async def statistics(
        caller: OfficialReader,
        start: Annotated[Moment, Query(alias="from")],
        end: Annotated[Moment, Query(alias="to")],
    ) -> Statistics:
        """Cases closed in [`from`, `to`), per risk indicator that flagged the line: how many,
        by outcome, and the false-positive rate (docs/cases.md) (officials incl. analyst)."""
        check_period(start, end)
        async with ctx.engine.connect() as conn:
            counted = await case_views.outcomes_per_indicator(conn, start, end)
        return Statistics(
            start=start,
            end=end,
            false_positive_outcomes=sorted(FALSE_POSITIVE),
            indicators=[
                IndicatorStatistics(
                    indicator=c.indicator,
                    closed=c.closed,
                    by_outcome=c.by_outcome,
                    false_positive_rate=c.false_positive_rate,
                )
                for c in counted
            ],
        )

    @router.get("/cases", responses=AUTH_RESPONSES, tags=["cases"])
    async def list_cases(
        caller: OfficialReader,
        manifest_id: str | None = Query(None, max_length=100),
        line_id: str | None = Query(None, max_length=100),
        state: CaseState | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        """Cases, oldest first (officials)."""
        async with ctx.engine.connect() as conn:
            return await case_views.page(conn, manifest_id, line_id, state, limit, offset)

    @router.get(
        "/cases/{case_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "unknown case"}},
        tags=["cases"],
    )
    async def get_case(case_id: str, caller: OfficialReader) -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            found = await case_views.one(conn, case_id)
        if found is None:
            raise DomainError(404, f"no case {case_id!r}")
        return found

    @router.post("/cases/{case_id}/contacts", responses=CASE_RESPONSES, tags=["cases"])
    async def record_contact(case_id: str, body: ContactIn, caller: PreArrival) -> dict[str, Any]:
        """Record a contact with the party: who, when, channel, question and answer; the
        officer is the token's subject (role customs-prearrival)."""
        now = ctx.clock()
        if body.contacted_at > now:
            raise invalid_field(
                "contacted_at",
                body.contacted_at.isoformat(),
                "contacted_at.in_future",
                f"a contact cannot be later than now ({now.isoformat()})",
            )
        contact = Contact(
            party_name=body.party_name,
            party_eori=body.party_eori or None,
            contacted_at=body.contacted_at,
            channel=body.channel,
            question=body.question,
            answer=body.answer,
        )
        return await act(
            lambda store: cases.record_contact(store, case_id, contact, Actor.of(caller), now)
        )

    @router.post("/cases/{case_id}/references", responses=CASE_RESPONSES, tags=["cases"])
    async def link(case_id: str, body: LinkIn, caller: PreArrival) -> dict[str, Any]:
        """Link the written pre-notification the party sent (registered through the
        prenotification service's written channel): the line is re-matched with it
        (role customs-prearrival)."""
        return await act(
            lambda store: cases.link_notification(
                store, case_id, body.reference, body.received_by, Actor.of(caller), ctx.clock()
            )
        )

    @router.post("/cases/{case_id}/close", responses=CASE_RESPONSES, tags=["cases"])
    async def close(case_id: str, body: CloseIn, caller: PreArrival) -> dict[str, Any]:
        """Close with one outcome; the first three ask the authority to release the line's
        holds, handing over keeps them (role customs-prearrival)."""
        return await act(
            lambda store: cases.close(
                store, case_id, body.outcome, body.note, Actor.of(caller), ctx.clock()
            )
        )
