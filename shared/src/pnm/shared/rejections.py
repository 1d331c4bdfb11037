"""Refused input, kept with its reasons until it is corrected and re-submitted: the same table,
queries and routes in every service that takes input from outside ("nothing is lost")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Row,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pnm.shared.access import Requires
from pnm.shared.auth import Principal
from pnm.shared.columns import numbered, written_at
from pnm.shared.http import AUTH_RESPONSES, MAX_OFFSET, DomainError, Problem, RowId
from pnm.shared.text import shown, storable


def schema_reasons(err: ValidationError) -> list[dict[str, Any]]:
    """A pydantic refusal as reasons: `{field, value, rule, message, severity}` each."""
    return [
        {
            "field": ".".join(str(p) for p in e["loc"]),
            "value": None if isinstance(e.get("input"), dict | list) else shown(e.get("input")),
            "rule": f"schema.{e['type']}",
            "message": e["msg"],
            "severity": "error",
        }
        for e in err.errors()
    ]


@dataclass(frozen=True)
class Refused:
    channel: str
    source: str | None
    row_number: int | None
    subject: str | None
    payload: Any
    reasons: list[dict[str, Any]]  # {field, value, rule, message, ...}


def as_kept(refused: Refused) -> Refused:
    """The refused input as it is kept: text the database cannot hold replaced, a payload that
    is no object under "raw"."""
    payload = refused.payload if isinstance(refused.payload, dict) else {"raw": refused.payload}
    return Refused(
        channel=refused.channel,
        source=storable(refused.source),
        row_number=refused.row_number,
        subject=storable(refused.subject),
        payload=storable(payload),
        reasons=storable(refused.reasons),
    )


class RejectionNumbered(Protocol):
    """A per-input result that learns the id of its kept rejection."""

    rejection_id: int | None


class RejectionOut(BaseModel):
    id: int
    channel: str
    source: str | None
    row_number: int | None
    subject: str | None
    payload: Any
    reasons: list[dict[str, Any]]
    received_at: datetime
    resubmitted_at: datetime | None
    resubmitted_as: str | None


class Rejections:
    """A service's table of refused input; `subject` names the column saying what the input was
    about (a reference, a manifest line)."""

    def __init__(self, metadata: MetaData, subject: str = "subject") -> None:
        self.subject = subject
        self.table = Table(
            "rejection",
            metadata,
            numbered(),
            Column("channel", Text, nullable=False),  # rest | bulk | file | written | ...
            Column("source", Text),  # the caller, or the file name and digest
            Column("row_number", Integer),
            Column(subject, Text),
            Column("payload", JSONB, nullable=False),
            Column("reasons", JSONB, nullable=False),
            written_at("received_at"),
            Column("resubmitted_at", DateTime(timezone=True)),
            Column("resubmitted_as", Text),
            Index("ix_rejection_open", "id", postgresql_where=text("resubmitted_at IS NULL")),
        )

    async def keep(self, conn: AsyncConnection, refused: Sequence[Refused]) -> list[int]:
        """Store refused inputs (text the database cannot hold replaced, nothing else
        changed); returns their ids in order."""
        if not refused:
            return []
        rows = [
            {
                "channel": r.channel,
                "source": r.source,
                "row_number": r.row_number,
                self.subject: r.subject,
                "payload": r.payload,
                "reasons": r.reasons,
            }
            for r in map(as_kept, refused)
        ]
        result = await conn.execute(
            insert(self.table).returning(self.table.c.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars().all())

    async def keep_refused(
        self, conn: AsyncConnection, refused: Sequence[tuple[Refused, RejectionNumbered]]
    ) -> None:
        """Keep each refused input and give its result the rejection's id."""
        ids = await self.keep(conn, [r for r, _ in refused])
        for (_, result), rejection_id in zip(refused, ids, strict=True):
            result.rejection_id = rejection_id

    async def open(self, conn: AsyncConnection, rejection_id: int) -> Row[Any]:
        """The rejection to re-submit: 404 when unknown, 409 when already re-submitted."""
        row = (
            await conn.execute(select(self.table).where(self.table.c.id == rejection_id))
        ).first()
        if row is None:
            raise DomainError(404, f"no rejection {rejection_id}")
        if row.resubmitted_at is not None:
            raise DomainError(
                409, f"rejection {rejection_id} was already re-submitted as {row.resubmitted_as}"
            )
        return row

    async def mark_resubmitted(
        self, conn: AsyncConnection, rejection_id: int, accepted_as: str, now: datetime
    ) -> None:
        closed = await conn.execute(
            update(self.table)
            .where(self.table.c.id == rejection_id, self.table.c.resubmitted_at.is_(None))
            .values(resubmitted_at=now, resubmitted_as=accepted_as)
        )
        if closed.rowcount != 1:  # a concurrent re-submission closed it first
            raise DomainError(409, f"rejection {rejection_id} was already re-submitted")

    def _out(self, row: Row[Any]) -> RejectionOut:
        values = dict(row._mapping)
        values["subject"] = values.pop(self.subject)
        return RejectionOut(**values)

    def add_routes(self, router: APIRouter, engine: AsyncEngine, readers: Sequence[str]) -> None:
        """GET /rejections and GET /rejections/{id} for the roles in `readers`."""
        table = self.table
        # A default, not an Annotated alias: this module's annotations are strings, resolved
        # where `readers` is not in scope.
        reader = Depends(Requires(*readers))

        @router.get("/rejections", tags=["rejections"], responses=AUTH_RESPONSES)
        async def list_rejections(
            caller: Principal = reader,
            channel: str | None = None,
            open_only: bool = Query(True, alias="open"),
            limit: int = Query(100, ge=1, le=1000),
            offset: int = Query(0, ge=0, le=MAX_OFFSET),
        ) -> list[RejectionOut]:
            """Refused inputs with their reasons, oldest first, to be fixed and re-submitted."""
            query = select(table).order_by(table.c.id)
            if channel is not None:
                query = query.where(table.c.channel == channel)
            if open_only:
                query = query.where(table.c.resubmitted_at.is_(None))
            async with engine.connect() as conn:
                rows = (await conn.execute(query.limit(limit).offset(offset))).all()
            return [self._out(r) for r in rows]

        @router.get(
            "/rejections/{rejection_id}",
            tags=["rejections"],
            responses={**AUTH_RESPONSES, 404: {"model": Problem}},
        )
        async def get_rejection(rejection_id: RowId, caller: Principal = reader) -> RejectionOut:
            async with engine.connect() as conn:
                row = (await conn.execute(select(table).where(table.c.id == rejection_id))).first()
            if row is None:
                raise DomainError(404, f"no rejection {rejection_id}")
            return self._out(row)
