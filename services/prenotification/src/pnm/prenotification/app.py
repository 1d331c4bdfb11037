from __future__ import annotations

from pnm.prenotification.adapters.tables import SCHEMA, messaging, metadata
from pnm.prenotification.api.routes import build_router
from pnm.shared.migrations import migrations_dir
from pnm.shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="prenotification",
    schema=SCHEMA,
    metadata=metadata,
    messaging=messaging,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    description="Pre-notifications from Client Import, VGC and written entries",
)
