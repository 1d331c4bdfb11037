from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.prenotification import feeds
from pnm.prenotification.adapters.postgres_store import PostgresNotificationStore
from pnm.prenotification.adapters.tables import declared
from pnm.prenotification.api.routes import build_router
from pnm.prenotification.intake import receive_file
from pnm.shared.contracts.records import PreNotification
from pnm.shared.contracts.topics import PRENOTIFICATIONS
from pnm.shared.files import watch_directory
from pnm.shared.intake.model import Issue
from pnm.shared.migrations import migrations_dir
from pnm.shared.observability import log_fields
from pnm.shared.service import BackgroundLoop, ServiceContext, ServiceDefinition, pause

log = logging.getLogger(__name__)


class PrenotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_PRENOTIFICATION_", extra="ignore")

    drop_dir: Path | None = None  # watched directory for Client Import / VGC export files
    drop_interval_seconds: float = Field(default=2.0, gt=0)
    # A file written in place (not renamed from *.tmp) is read only after this long unchanged.
    drop_quiet_seconds: float = Field(default=5.0, ge=0)
    certificate_scan_seconds: float = Field(default=60.0, gt=0)


def drop_authorisation(record: PreNotification) -> Issue | None:
    """The drop directory is trusted by its file permissions: any feed system, but written
    entries only come from an authority through the API."""
    if record.system == "written":
        return Issue(
            "system", "written", "auth.channel", "written entries are not taken from files", "error"
        )
    return None


def background(ctx: ServiceContext) -> Sequence[BackgroundLoop]:
    settings = PrenotificationSettings()

    async def certificates(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                async with ctx.uow_factory() as uow:
                    await feeds.publish_overdue_certificates(
                        PostgresNotificationStore(uow), ctx.clock()
                    )
                    await uow.commit()
            except Exception as err:
                log.warning("certificate scan failed", extra=log_fields(error=repr(err)))
            await pause(stopping, settings.certificate_scan_seconds)

    loops: list[BackgroundLoop] = [certificates]
    if settings.drop_dir is not None:

        async def take(name: str, content: bytes) -> dict[str, Any]:
            result = await receive_file(ctx, name, content, drop_authorisation)
            return result.model_dump(mode="json")

        loops.append(
            watch_directory(
                settings.drop_dir,
                settings.drop_interval_seconds,
                take,
                settings.drop_quiet_seconds,
            )
        )
    return loops


definition = ServiceDefinition(
    error_statuses={feeds.UnknownPreNotification: 404, feeds.FeedConflict: 409},
    name="prenotification",
    tables=declared,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    background=background,
    description="Pre-notifications from Client Import, VGC and written entries",
    openapi_models=(PreNotification,),
    # The matcher blocks a line only once it has every pre-notification accepted before.
    watermarked=(PRENOTIFICATIONS,),
)
