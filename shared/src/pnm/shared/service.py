"""What a service declares about itself, so that one runtime can host it alone (distributed)
or beside the others (standalone)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared.clock import Clock, utc_now
from pnm.shared.contracts.topics import Topic
from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.processor import Handler, Unprocessable
from pnm.shared.messaging.tables import SchemaTables

# A loop the service runs beside its API and consumers until the event is set.
BackgroundLoop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceContext:
    """Handed to a service's router and handlers: its engine, unit of work and clock."""

    name: str
    engine: AsyncEngine
    uow_factory: Callable[[], UnitOfWork]
    clock: Clock = utc_now
    # Set by the service's background loops (e.g. its reconciliation): shown in the body of
    # `/health/ready` without turning it red.
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ledger:
    """A consumer of its own (group `pnm-<service>-<name>`) that records what the service must
    answer for (see `reconciliation`); what it cannot read goes to the `unreadable` table, not
    to a dead-letter topic."""

    name: str
    handlers: Mapping[str, Handler]
    unreadable: Table

    def consumer(self, service_group: str) -> str:
        return f"{service_group}-{self.name}"


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # as in the URL prefix and the topic consumer group: "manifest-ingest"
    tables: SchemaTables  # its PostgreSQL schema ("manifest_ingest") and what it declares there
    migrations: Path
    build_router: Callable[[ServiceContext], APIRouter]
    subscriptions: Callable[[ServiceContext], Mapping[str, Handler]] = field(default=lambda ctx: {})
    # Per subscribed topic: what becomes of an event that cannot be applied (see `processor`).
    unprocessable: Callable[[ServiceContext], Mapping[str, Unprocessable]] = field(
        default=lambda ctx: {}
    )
    background: Callable[[ServiceContext], Sequence[BackgroundLoop]] = field(default=lambda ctx: ())
    ledgers: Callable[[ServiceContext], Sequence[Ledger]] = field(default=lambda ctx: ())
    description: str = ""
    # How its domain errors are answered: exception type → HTTP status (`add_error_statuses`),
    # so that routes do not each catch and translate them.
    error_statuses: Mapping[type[Exception], int] = field(default_factory=dict)
    # Anything the service adds to its own app beyond its routes, e.g. a middleware.
    configure_app: Callable[[ServiceContext, FastAPI], None] = field(default=lambda ctx, app: None)
    # Models a route documents by reference (`#/components/schemas/<Name>`) without FastAPI
    # seeing them as a parameter, e.g. a body parsed by hand to keep every bad record.
    openapi_models: Sequence[type[BaseModel]] = ()
    # Topics whose every partition the outbox relay stamps with a watermark (see `relay`).
    watermarked: Sequence[Topic] = ()
    # A service of pages for people (the console): it takes HTML form bodies besides JSON, and
    # `/` of the system redirects to `/<name>/`.
    serves_pages: bool = False

    @property
    def schema(self) -> str:
        return self.tables.name

    @property
    def consumer_group(self) -> str:
        return f"pnm-{self.name}"


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep between rounds of a background loop, waking at once on shutdown."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
