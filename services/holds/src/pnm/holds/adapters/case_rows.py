"""The cases' part of the holds store over PostgreSQL (`postgres_store.PostgresHoldStore`):
cases, their contacts and linked pre-notifications (docs/cases.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.holds.adapters.tables import OPEN_CASE, case, case_contact, case_reference
from pnm.holds.domain.case import CaseState
from pnm.holds.store import Case, Contact, UnknownCase
from pnm.shared.db import UnitOfWork


def values_of(kept: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of `kept` as column values (its tuples as the arrays they are)."""
    return {n: list(v) if isinstance(v, tuple) else v for n in names for v in (getattr(kept, n),)}


def of_line(table: Table, manifest_id: str, line_id: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions that select the rows of one manifest line."""
    return (table.c.manifest_id == manifest_id, table.c.line_id == line_id)


def case_of(row: Row[Any]) -> Case:
    kept = row._mapping
    return Case(**{**kept, "indicators": tuple(kept["indicators"])})


# What opening a case writes; the database gives the rest (as the case's opening always did).
OPENED_CASE = (
    "case_id",
    "manifest_id",
    "line_id",
    "state",
    "indicators",
    "opened_by_hold",
    "opened_at",
    "updated_at",
)


class CaseRows:
    _uow: UnitOfWork

    async def locked(self, key: Column[Any], value: str, missing: Exception) -> Row[Any]:
        """The row of `key`'s table whose `key` is `value`, locked for this transaction."""
        row = (
            await self._uow.conn.execute(select(key.table).where(key == value).with_for_update())
        ).first()
        if row is None:
            raise missing
        return row

    async def open_case(self, new: Case) -> Case | None:
        created = (
            await self._uow.conn.execute(
                pg_insert(case)
                .values(values_of(new, OPENED_CASE))
                .on_conflict_do_nothing(
                    index_elements=[case.c.manifest_id, case.c.line_id],
                    index_where=OPEN_CASE,
                )
                .returning(case)
            )
        ).first()
        return None if created is None else case_of(created)

    async def open_case_of(self, manifest_id: str, line_id: str) -> Case:
        current = (
            await self._uow.conn.execute(
                select(case)
                .where(
                    *of_line(case, manifest_id, line_id),
                    case.c.state != CaseState.CLOSED.value,
                )
                .with_for_update()
            )
        ).one()
        return case_of(current)

    async def case(self, case_id: str) -> Case:
        row = await self.locked(case.c.case_id, case_id, UnknownCase(f"no case {case_id!r}"))
        return case_of(row)

    async def update_case(self, case_id: str, values: Mapping[str, Any], now: datetime) -> Case:
        new = (
            await self._uow.conn.execute(
                update(case)
                .where(case.c.case_id == case_id)
                .values(updated_at=now, **values)
                .returning(case)
            )
        ).one()
        return case_of(new)

    async def add_contact(
        self, case_id: str, contact_id: str, contact: Contact, officer: str, at: datetime
    ) -> None:
        kept = {"contact_id": contact_id, "case_id": case_id, **vars(contact)}
        await self._uow.conn.execute(
            insert(case_contact).values(**kept, officer=officer, recorded_at=at)
        )

    async def link_reference(
        self, case_id: str, reference: str, received_by: str, linked_by: str, at: datetime
    ) -> bool:
        linked = await self._uow.conn.execute(
            pg_insert(case_reference)
            .values(
                case_id=case_id,
                reference=reference,
                received_by=received_by,
                linked_by=linked_by,
                linked_at=at,
            )
            .on_conflict_do_nothing()
            .returning(case_reference.c.reference)
        )
        return linked.first() is not None

    async def references(self, case_id: str) -> list[str]:
        rows = await self._uow.conn.execute(
            select(case_reference.c.reference)
            .where(case_reference.c.case_id == case_id)
            .order_by(case_reference.c.linked_at, case_reference.c.reference)
        )
        return [r.reference for r in rows]
