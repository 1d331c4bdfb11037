"""Reading pre-arrival cases on a real PostgreSQL (`pnm.holds.case_views`, docs/cases.md): each
case carries only its own contacts and linked pre-notifications and its own line's holds, in
their order, and a page costs the same number of statements whatever its size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pnm.cli.services import ALL
from pnm.holds import case_views
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.domain.case import CaseState
from pnm.holds.opening import Line, open_hold
from pnm.holds.store import Case, Contact, Hold
from pnm.shared.case_outcomes import CaseOutcome
from pnm.shared.contracts.records import Regime
from pnm.shared.runtime import Pipeline

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Seeded:
    """A case as seeded, with what each of its parts must read back as, in order."""

    case: Case
    contacts: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        shown = ("hold_id", "regime", "authority", "state", "origin")
        return {
            **asdict(self.case),
            "indicators": list(self.case.indicators),
            "contacts": self.contacts,
            "references": self.references,
            "holds": [{k: getattr(h, k) for k in shown} for h in self.holds],
        }


@dataclass
class Cases:
    engine: AsyncEngine
    seeded: list[Seeded]  # oldest first, as a page lists them


def _line(manifest_id: str, line_id: str) -> Line:
    # No terminal: the holds stay `unaddressed`, so no re-send round changes them meanwhile.
    return Line(manifest_id, line_id, None, [], None, 1)


@pytest.fixture
async def cases(database_url: str) -> AsyncIterator[Cases]:
    """Five cases: two on line PAGE-1/1 (the first closed, both seeing the line's two holds),
    one on PAGE-1/2, one on PAGE-1/3 with no hold, contact or reference, one on PAGE-2/1."""
    async with Pipeline([ALL["holds"]], database_url=database_url, transport="inprocess") as p:
        async with p.services["holds"].context.uow_factory() as uow:
            store = PostgresHoldStore(uow)

            async def contact(kept: Seeded, contact_id: str, minute: int) -> None:
                said = Contact("Party " + contact_id, None, at(minute), "phone", "?", "!")
                await store.add_contact(
                    kept.case.case_id, contact_id, said, "officer-1", at(minute)
                )
                recorded = {**asdict(said), "officer": "officer-1", "recorded_at": at(minute)}
                kept.contacts.append(
                    {"contact_id": contact_id, "case_id": kept.case.case_id, **recorded}
                )

            async def link(kept: Seeded, reference: str, minute: int) -> None:
                assert await store.link_reference(
                    kept.case.case_id, reference, "pd-1", "officer-1", at(minute)
                )
                kept.references.append(
                    {
                        "case_id": kept.case.case_id,
                        "reference": reference,
                        "received_by": "pd-1",
                        "linked_by": "officer-1",
                        "linked_at": at(minute),
                    }
                )

            async def held(line: Line, regime: Regime, minute: int) -> tuple[Hold, Case]:
                hold = await open_hold(store, line, regime, "unnotified", at(minute))
                return hold, await store.open_case_of(line.manifest_id, line.line_id)

            line_one = _line("PAGE-1", "1")
            vet, first_case = await held(line_one, Regime.VET, 0)
            closed = await store.update_case(
                first_case.case_id,
                {
                    "state": CaseState.CLOSED.value,
                    "outcome": CaseOutcome.HANDED_TO_AUTHORITY.value,
                    "closed_at": at(1),
                },
                at(1),
            )
            phyto, second_case = await held(line_one, Regime.PHYTO, 2)
            line_two, third_case = await held(_line("PAGE-1", "2"), Regime.VET, 3)
            bare = await store.open_case(
                Case(
                    **{
                        **asdict(first_case),
                        "case_id": "CASE-BARE",
                        "line_id": "3",
                        "opened_by_hold": "no-hold",
                        "opened_at": at(4),
                        "updated_at": at(4),
                    }
                )
            )
            assert bare is not None
            other, fifth_case = await held(_line("PAGE-2", "1"), Regime.PHYTO, 5)

            first = Seeded(closed, holds=[vet, phyto])
            second = Seeded(second_case, holds=[vet, phyto])
            third = Seeded(third_case, holds=[line_two])
            fifth = Seeded(fifth_case, holds=[other])
            # Added out of order: read back by recorded_at, then contact_id; by linked_at,
            # then reference.
            await contact(first, "K-3", 12)
            await contact(second, "K-1", 10)
            await contact(third, "K-5", 11)
            await contact(first, "K-2", 10)
            await contact(third, "K-4", 11)
            await link(second, "CHED-B", 13)
            await link(first, "CHED-Z", 10)
            await link(fifth, "CHED-C", 14)
            await link(first, "CHED-A", 10)
            first.contacts.sort(key=lambda c: (c["recorded_at"], c["contact_id"]))
            third.contacts.sort(key=lambda c: (c["recorded_at"], c["contact_id"]))
            first.references.sort(key=lambda r: (r["linked_at"], r["reference"]))
            await uow.commit()
        yield Cases(p.engine, [first, second, third, Seeded(bare), fifth])


Read = Callable[[AsyncConnection], Awaitable[Any]]


async def statements(engine: AsyncEngine, read: Read) -> tuple[Any, int]:
    """What `read` gives, and how many statements it sent on its connection."""
    async with engine.connect() as conn:
        sent: list[str] = []

        def count(on: Any, cursor: Any, statement: str, *_: Any) -> None:
            if on is conn.sync_connection:  # not the service's own loops on other connections
                sent.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            return await read(conn), len(sent)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)


def page(limit: int, manifest_id: str | None = None, line_id: str | None = None) -> Read:
    return lambda conn: case_views.page(conn, manifest_id, line_id, None, limit, 0)


def one(case_id: str) -> Read:
    return lambda conn: case_views.one(conn, case_id)


async def test_each_case_reads_its_own_contacts_references_and_lines_holds(cases: Cases) -> None:
    expected = [s.view() for s in cases.seeded]
    async with cases.engine.connect() as conn:
        assert await case_views.page(conn, None, None, None, 50, 0) == expected
        assert await case_views.page(conn, None, None, None, 2, 1) == expected[1:3]
        assert await case_views.page(conn, "PAGE-1", "1", None, 50, 0) == expected[:2]
        closed = await case_views.page(conn, None, None, CaseState.CLOSED, 50, 0)
        assert closed == expected[:1]
        for s in cases.seeded:
            assert await case_views.one(conn, s.case.case_id) == s.view()
        assert await case_views.one(conn, "nope") is None


async def test_a_page_costs_the_same_statements_whatever_its_size(cases: Cases) -> None:
    # The cases, then the contacts, the references and the holds of all of them at once.
    for size in (1, 2, 5, 50):
        read, sent = await statements(cases.engine, page(size))
        assert len(read) == min(size, 5)
        assert sent == 4, f"a page of {len(read)} cases took {sent} statements"
    # An empty page asks nothing more than the cases.
    assert await statements(cases.engine, page(50, manifest_id="NONE")) == ([], 1)
    assert await statements(cases.engine, page(50, manifest_id="PAGE-1", line_id="3")) == (
        [cases.seeded[3].view()],
        4,
    )
    first = cases.seeded[0]
    assert await statements(cases.engine, one(first.case.case_id)) == (first.view(), 4)
    assert await statements(cases.engine, one("nope")) == (None, 1)
