from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from functools import partial

from prometheus_client import Gauge
from sqlalchemy import func, select

from pnm.matcher import handlers, reconciliation
from pnm.matcher.adapters.arrival_feed_rows import read_watermark
from pnm.matcher.adapters.indicator_sets import IndicatorSetExists, UnknownIndicatorSet
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.adapters.tables import decision, declared
from pnm.matcher.api.routes import build_router
from pnm.matcher.service_layer import service
from pnm.matcher.settings import MatcherSettings, decision_settings
from pnm.matcher.unprocessable import decide_unprocessable
from pnm.shared.contracts.topics import (
    CASES,
    FEEDS,
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_LINES,
    PRENOTIFICATIONS,
    EventType,
)
from pnm.shared.messaging.processor import Handler, Unprocessable, dispatch_by_type
from pnm.shared.migrations import migrations_dir
from pnm.shared.observability import log_fields
from pnm.shared.reconciliation import reconciliation_loop
from pnm.shared.service import BackgroundLoop, ServiceContext, ServiceDefinition, pause

log = logging.getLogger(__name__)


def subscriptions(ctx: ServiceContext) -> Mapping[str, Handler]:
    line = partial(handlers.on_manifest_line, clock=ctx.clock)
    notification = partial(handlers.on_prenotification, clock=ctx.clock)
    feed = partial(handlers.on_feed_status, clock=ctx.clock)
    return {
        MANIFEST_LINES.name: dispatch_by_type(
            {
                EventType.MANIFEST_LINE_DECLARED: line,
                EventType.MANIFEST_LINE_AMENDED: line,
                EventType.MANIFEST_LINE_WITHDRAWN: line,
            }
        ),
        MANIFEST_ARRIVALS.name: dispatch_by_type(
            {EventType.ARRIVAL: partial(handlers.on_arrival, clock=ctx.clock)}
        ),
        MANIFEST_ETA.name: dispatch_by_type(
            {EventType.ETA_UPDATED: partial(handlers.on_eta_update, clock=ctx.clock)}
        ),
        PRENOTIFICATIONS.name: dispatch_by_type(
            {
                EventType.PRENOTIFICATION_SUBMITTED: notification,
                EventType.PRENOTIFICATION_AMENDED: notification,
                EventType.PRENOTIFICATION_CANCELLED: notification,
                EventType.PRENOTIFICATION_STATUS_CHANGED: notification,
                EventType.PRENOTIFICATION_WATERMARK: partial(
                    handlers.on_watermark, clock=ctx.clock
                ),
            }
        ),
        CASES.name: dispatch_by_type(
            {
                EventType.CASE_NOTIFICATION_LINKED: partial(
                    handlers.on_notification_linked, clock=ctx.clock
                ),
                EventType.CASE_OPENED: handlers.ignored,
                EventType.CASE_CONTACT_RECORDED: handlers.ignored,
                EventType.CASE_CLOSED: handlers.ignored,
            }
        ),
        FEEDS.name: dispatch_by_type(
            {
                EventType.FEED_HEARTBEAT: feed,
                EventType.FEED_EMERGENCY_STARTED: feed,
                EventType.FEED_EMERGENCY_ENDED: feed,
            }
        ),
    }


def unprocessable(ctx: ServiceContext) -> Mapping[str, Unprocessable]:
    return {MANIFEST_LINES.name: partial(decide_unprocessable, clock=ctx.clock)}


async def decide_due(ctx: ServiceContext, limit: int) -> int:
    """Re-decide the lines whose deadline has passed (lead time, arrival plus grace); rows are
    locked and skipped by a concurrent instance, so each is decided once."""
    async with ctx.uow_factory() as uow:
        store = PostgresStore(uow.conn)
        due = await service.decide_due(store, ctx.clock, decision_settings(), limit)
        handlers.publish(uow, due.applied)
        await uow.commit()
    return due.lines


WATERMARK_WARNING = "prenotification_watermark"
HELD_FOR_WATERMARK = Gauge(
    "pnm_matcher_blocks_held_for_watermark",
    "Lines whose block waits for the pre-notification watermark (docs/watermark.md)",
)


async def report_held_for_watermark(ctx: ServiceContext) -> None:
    """Lines whose block waits for the watermark, in the readiness body and a gauge: for a
    moment after each one is due that is normal; for long, the pre-notification service's
    relay is not publishing (or the matcher not consuming its topic)."""
    async with ctx.engine.connect() as conn:
        held, since = (
            await conn.execute(
                select(func.count(), func.min(decision.c.held_since)).where(
                    decision.c.held_since.is_not(None)
                )
            )
        ).one()
        watermark = await read_watermark(conn) if held else None
    HELD_FOR_WATERMARK.set(held)
    if not held:
        ctx.warnings.pop(WATERMARK_WARNING, None)
        return
    seen = watermark.isoformat() if watermark is not None else "none from every partition"
    ctx.warnings[WATERMARK_WARNING] = (
        f"{held} line(s) wait to be blocked until every pre-notification accepted before "
        f"{since.isoformat()} is consumed; pre-notification watermark: {seen}"
    )


def background(ctx: ServiceContext) -> Sequence[BackgroundLoop]:
    settings = MatcherSettings()

    async def deadlines(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                if await decide_due(ctx, settings.deadline_batch) == settings.deadline_batch:
                    continue  # more are due: no pause
            except Exception as err:
                log.warning("deadline scan failed", extra=log_fields(error=repr(err)))
            try:
                await report_held_for_watermark(ctx)
            except Exception as err:
                log.warning("watermark report failed", extra=log_fields(error=repr(err)))
            await pause(stopping, settings.deadline_scan_seconds)

    return [deadlines, reconciliation_loop(ctx, reconciliation.reconcile)]


definition = ServiceDefinition(
    error_statuses={UnknownIndicatorSet: 404, IndicatorSetExists: 409},
    name="matcher",
    tables=declared,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    subscriptions=subscriptions,
    unprocessable=unprocessable,
    background=background,
    ledgers=lambda ctx: [reconciliation.ledger(ctx)],
    description="Selection, matching and decisions per manifest line",
)
