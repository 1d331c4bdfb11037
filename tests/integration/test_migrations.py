"""Every service's Alembic history runs from an empty database, and again without effect."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from pnm.cli.services import ALL
from pnm.shared.db import make_engine
from pnm.shared.migrations import upgrade

EXPECTED_TABLES = {
    "prenotification": {
        "prenotification",
        "prenotification_version",
        "rejection",
        "intake_file",
        "feed",
        "emergency_procedure",
        "outbox",
        "inbox",
        "dead_letter",
    },
    "manifest_ingest": {
        "manifest_line",
        "line_version",
        "rejection",
        "intake_file",
        "arrival",
        "feed",
        "outbox",
        "inbox",
        "dead_letter",
    },
    "matcher": {
        "line",
        "line_key",
        "prenotification",
        "prenotification_key",
        "arrival",
        "eta_update",
        "feed",
        "indicator_set",
        "decision",
        "decision_history",
        "decision_epoch",
        "outbox",
        "inbox",
        "dead_letter",
    },
    "holds": {"hold", "instruction", "outbox", "inbox", "dead_letter"},
}


async def test_migrations_run_from_empty_and_are_idempotent(database_url: str) -> None:
    dsn = database_url.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            == 0
        )
    finally:
        await conn.close()

    engine = make_engine(database_url)
    try:
        for _ in range(2):
            for definition in ALL.values():
                await upgrade(engine, definition)
        async with engine.connect() as conn:
            for schema, tables in EXPECTED_TABLES.items():
                found = set(
                    (
                        await conn.execute(
                            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                            {"s": schema},
                        )
                    ).scalars()
                )
                assert tables | {"alembic_version"} == found, schema
                versions = (
                    (
                        await conn.execute(
                            text(f'SELECT version_num FROM "{schema}".alembic_version')
                        )
                    )
                    .scalars()
                    .all()
                )
                assert len(versions) == 1, f"{schema} has {versions}"
    finally:
        await engine.dispose()


async def test_instances_starting_at_once_on_an_empty_database_all_migrate(
    database_url: str,
) -> None:
    """Several processes of one service (`pnm bench --matchers 2`, a scaled deployment) start
    together; each migrates before it serves."""
    engines = [make_engine(database_url) for _ in range(4)]
    try:
        await asyncio.gather(*(upgrade(engine, ALL["matcher"]) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
