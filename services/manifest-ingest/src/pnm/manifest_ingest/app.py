from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.manifest_ingest.adapters.tables import declared
from pnm.manifest_ingest.api.routes import build_router
from pnm.manifest_ingest.intake import receive_file
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.files import watch_directory
from pnm.shared.migrations import migrations_dir
from pnm.shared.service import BackgroundLoop, ServiceContext, ServiceDefinition


class ManifestIngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_MANIFEST_INGEST_", extra="ignore")

    drop_dir: Path | None = None  # watched directory for DMF manifest export files
    drop_interval_seconds: float = Field(default=2.0, gt=0)
    # A file written in place (not renamed from *.tmp) is read only after this long unchanged.
    drop_quiet_seconds: float = Field(default=5.0, ge=0)


def background(ctx: ServiceContext) -> Sequence[BackgroundLoop]:
    settings = ManifestIngestSettings()
    if settings.drop_dir is None:
        return ()

    async def take(name: str, content: bytes) -> dict[str, Any]:
        return (await receive_file(ctx, name, content)).model_dump(mode="json")

    return (
        watch_directory(
            settings.drop_dir,
            settings.drop_interval_seconds,
            take,
            settings.drop_quiet_seconds,
        ),
    )


definition = ServiceDefinition(
    name="manifest-ingest",
    tables=declared,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    background=background,
    description="DMF manifest lines and arrivals",
    openapi_models=(ManifestLine,),
)
