from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.prenotification import feeds
from pnm.prenotification.adapters.files import FileFormatError, file_format
from pnm.prenotification.adapters.tables import SCHEMA, messaging, metadata
from pnm.prenotification.api.routes import build_router, receive_file
from pnm.prenotification.domain.issues import Issue
from pnm.shared.contracts.records import PreNotification
from pnm.shared.migrations import migrations_dir
from pnm.shared.observability import log_fields
from pnm.shared.service import BackgroundLoop, ServiceContext, ServiceDefinition

log = logging.getLogger(__name__)


class PrenotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_PRENOTIFICATION_", extra="ignore")

    drop_dir: Path | None = None  # watched directory for Client Import / VGC export files
    drop_interval_seconds: float = Field(default=2.0, gt=0)
    certificate_scan_seconds: float = Field(default=60.0, gt=0)


def drop_authorisation(record: PreNotification) -> Issue | None:
    """The drop directory is trusted by its file permissions: any feed system, but written
    entries only come from an authority through the API."""
    if record.system == "written":
        return Issue(
            "system", "written", "auth.channel", "written entries are not taken from files", "error"
        )
    return None


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


def _ready_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".tmp"
    )


def _file_away(path: Path, target: Path, note_suffix: str, note: str) -> None:
    shutil.move(path, target)
    target.with_name(target.name + note_suffix).write_text(note)


async def take_dropped_files(ctx: ServiceContext, directory: Path) -> int:
    """Process every complete file in `directory` once; move it to processed/ or failed/.
    Writers put a file in place by renaming it (`*.tmp` and dot files are not read)."""
    taken = 0
    for path in await asyncio.to_thread(_ready_files, directory):
        try:
            fmt = file_format(path.name)
            content = await asyncio.to_thread(path.read_bytes)
            result = await receive_file(ctx, path.name, content, fmt, drop_authorisation)
        except FileFormatError as err:
            target = directory / "failed" / path.name
            await asyncio.to_thread(_file_away, path, target, ".error.txt", f"{err}\n")
            log.warning("dropped file refused", extra=log_fields(file=path.name, error=str(err)))
            continue
        target = directory / "processed" / f"{result.sha256[:12]}-{path.name}"
        await asyncio.to_thread(
            _file_away, path, target, ".result.json", result.model_dump_json(indent=2)
        )
        taken += 1
    return taken


def background(ctx: ServiceContext) -> Sequence[BackgroundLoop]:
    settings = PrenotificationSettings()

    async def certificates(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                async with ctx.uow_factory() as uow:
                    await feeds.publish_overdue_certificates(uow, ctx.clock())
                    await uow.commit()
            except Exception as err:
                log.warning("certificate scan failed", extra=log_fields(error=repr(err)))
            await _pause(stopping, settings.certificate_scan_seconds)

    loops: list[BackgroundLoop] = [certificates]
    if settings.drop_dir is not None:
        directory = settings.drop_dir

        async def drop_directory(stopping: asyncio.Event) -> None:
            for sub in ("processed", "failed"):
                await asyncio.to_thread((directory / sub).mkdir, parents=True, exist_ok=True)
            while not stopping.is_set():
                try:
                    await take_dropped_files(ctx, directory)
                except Exception as err:
                    # The file stays where it is and is tried again on the next round.
                    log.warning("drop directory round failed", extra=log_fields(error=repr(err)))
                await _pause(stopping, settings.drop_interval_seconds)

        loops.append(drop_directory)
    return loops


definition = ServiceDefinition(
    name="prenotification",
    schema=SCHEMA,
    metadata=metadata,
    messaging=messaging,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    background=background,
    description="Pre-notifications from Client Import, VGC and written entries",
    openapi_models=(PreNotification,),
)
