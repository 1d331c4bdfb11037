from __future__ import annotations

from pnm.manifest_ingest.adapters.tables import SCHEMA, messaging, metadata
from pnm.manifest_ingest.api.routes import build_router
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.migrations import migrations_dir
from pnm.shared.service import ServiceDefinition

definition = ServiceDefinition(
    name="manifest-ingest",
    schema=SCHEMA,
    metadata=metadata,
    messaging=messaging,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    description="DMF manifest lines and arrivals",
    openapi_models=(ManifestLine,),
)
