"""Alembic, one history per service in its own schema, run programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared.service import ServiceDefinition


def alembic_config(definition: ServiceDefinition, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.attributes["schema"] = definition.schema
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(
    engine: AsyncEngine, definition: ServiceDefinition, revision: str = "head"
) -> None:
    async with engine.begin() as conn:
        # Serialise concurrent starts of the same service on one database, schema included:
        # two `CREATE SCHEMA IF NOT EXISTS` at once fail on the catalogue's unique index.
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": definition.schema}
        )
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{definition.schema}"'))
        await conn.run_sync(
            lambda sync_conn: command.upgrade(alembic_config(definition, sync_conn), revision)
        )


async def autogenerate(engine: AsyncEngine, definition: ServiceDefinition, message: str) -> None:
    """Write a new revision from the difference between the tables and the database."""
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{definition.schema}"'))
        await conn.run_sync(
            lambda sync_conn: command.revision(
                alembic_config(definition, sync_conn), message, autogenerate=True
            )
        )


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    cfg = context.config
    connection: Connection | None = cfg.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `pnm migrate`, which passes a connection")
    schema = cfg.attributes["schema"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def migrations_dir(package_file: str) -> Path:
    return Path(package_file).parent / "migrations"
