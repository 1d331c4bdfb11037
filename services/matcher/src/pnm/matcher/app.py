from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pnm.matcher import handlers
from pnm.matcher.adapters.tables import SCHEMA, messaging, metadata
from pnm.matcher.api.routes import build_router
from pnm.shared.contracts.topics import (
    MANIFEST_ARRIVALS,
    MANIFEST_LINES,
    PRENOTIFICATIONS,
    EventType,
)
from pnm.shared.messaging.processor import Handler, dispatch_by_type
from pnm.shared.migrations import migrations_dir
from pnm.shared.service import ServiceContext, ServiceDefinition


def subscriptions(ctx: ServiceContext) -> Mapping[str, Handler]:
    line = partial(handlers.on_manifest_line, clock=ctx.clock)
    notification = partial(handlers.on_prenotification, clock=ctx.clock)
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
        PRENOTIFICATIONS.name: dispatch_by_type(
            {
                EventType.PRENOTIFICATION_SUBMITTED: notification,
                EventType.PRENOTIFICATION_AMENDED: notification,
                EventType.PRENOTIFICATION_CANCELLED: notification,
                EventType.PRENOTIFICATION_STATUS_CHANGED: notification,
            }
        ),
    }


definition = ServiceDefinition(
    name="matcher",
    schema=SCHEMA,
    metadata=metadata,
    messaging=messaging,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    subscriptions=subscriptions,
    description="Selection, matching and decisions per manifest line",
)
