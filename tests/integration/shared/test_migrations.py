"""Every service's Alembic history runs from an empty database, and again without effect; it
goes down to nothing and up again; the tables it creates, by the shared migration steps
(pnm.shared.migration_steps) and by its own revisions, are exactly the tables its code
declares."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
from alembic import command
from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import line, line_key, prenotification_key
from pnm.matcher.adapters.tables import prenotification as prenotification_table
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.shared.contracts.records import ChedType
from pnm.shared.db import make_engine
from pnm.shared.migrations import alembic_config, upgrade
from pnm.testing.records import container, manifest_line, prenotification

# Every service keeps its outbox, inbox and dead letters beside its own tables.
MESSAGING = {"outbox", "inbox", "dead_letter", "redrive", "idempotency_key"}
Catalogued = tuple[object, ...]  # a row of the catalogue, its table's name first
EXPECTED_TABLES = {
    "prenotification": {
        "prenotification",
        "prenotification_version",
        "rejection",
        "intake_file",
        "feed",
        "emergency_procedure",
    }
    | MESSAGING,
    "manifest_ingest": {
        "manifest_line",
        "line_version",
        "rejection",
        "intake_file",
        "arrival",
        "feed",
    }
    | MESSAGING,
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
        "unprocessable_line",
        "accepted_line",
        "prenotification_watermark",
        "line_reference",
        "unreadable_message",
    }
    | MESSAGING,
    "holds": {
        "hold",
        "instruction",
        "line_decision",
        "case",
        "case_contact",
        "case_reference",
        "irregularity",
        "audit_entry",
        "audit_pending",
        "audit_head",
        "required_hold",
        "unreadable_message",
    }
    | MESSAGING,
    "console": {
        "line",
        "arrival",
        "eta_update",
        "hold",
        "case",
        "decision_log",
        "feed",
    }
    | MESSAGING,
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

    # Every service's schema is checked here: a new service is not forgotten.
    assert {definition.schema for definition in ALL.values()} == set(EXPECTED_TABLES)
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


async def test_typo_keys_by_check_digit_rekey_stored_lines_and_notifications(
    database_url: str,
) -> None:
    """Revision c41f0e7d9a23 keys the stored lines and notifications again (a valid box by
    itself, a typo by its valid forms and deletions), and its downgrade restores the deletion
    neighbourhoods of every box."""
    box = container(4711)
    typo = box[:6] + ("1" if box[6] != "1" else "2") + box[7:]
    record = manifest_line("MIG-1", "1", hs_code="020130", description="beef", containers=[box])
    line_facts = LineFacts.of(record)
    notified = NotificationFacts.of(
        prenotification(
            "CHEDP.NL.2026.0000001",
            ched_type=ChedType.CHED_P,
            cn_code="0201",
            description="beef",
            containers=[typo],
        )
    )
    engine = make_engine(database_url)
    try:
        await upgrade(engine, ALL["matcher"])
        async with engine.begin() as conn:
            await conn.execute(
                insert(line).values(
                    manifest_id="MIG-1",
                    line_id="1",
                    version=1,
                    withdrawn=False,
                    containers=[box],
                    transport_document=line_facts.transport_document,
                    record=record.model_dump(mode="json"),
                    block_keys=[],
                )
            )
            await conn.execute(
                insert(prenotification_table).values(
                    reference=notified.reference,
                    version=1,
                    status=notified.status.value,
                    ched_type=notified.ched_type.value,
                    containers=[typo],
                    record={},
                    block_keys=[],
                    facts=notified.to_json(),
                )
            )
        await _migrate(engine, "downgrade", "47a7724734ee")
        before = await _stored_keys(engine)
        assert _near(before["MIG-1/1"]) == {
            f"near-container:{line_facts.vessel}|{d}"
            for d in {box} | {box[:i] + box[i + 1 :] for i in range(len(box))}
        }
        await _migrate(engine, "upgrade", "head")
        after = await _stored_keys(engine)
        assert after["MIG-1/1"] == set(line_facts.block_keys)
        assert after[notified.reference] == set(notified.block_keys)
        # The typo meets the box it was meant to be on one key, the box itself.
        assert _near(after["MIG-1/1"]) & _near(after[notified.reference]) == {
            f"near-container:{line_facts.vessel}|{box}"
        }
    finally:
        await engine.dispose()


def _near(keys: set[str]) -> set[str]:
    return {k for k in keys if k.startswith("near-")}


async def _migrate(
    engine: AsyncEngine, direction: str, revision: str, service: str = "matcher"
) -> None:
    step = getattr(command, direction)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: step(alembic_config(ALL[service], sync), revision))


async def _stored_keys(engine: AsyncEngine) -> dict[str, set[str]]:
    """Per line and notification, its keys as in the key tables, checked against the copy in
    its own row."""
    keys: dict[str, set[str]] = {}
    async with engine.connect() as conn:
        for r in await conn.execute(
            select(line_key.c.key, line_key.c.manifest_id, line_key.c.line_id)
        ):
            keys.setdefault(f"{r.manifest_id}/{r.line_id}", set()).add(r.key)
        for n in await conn.execute(
            select(prenotification_key.c.key, prenotification_key.c.reference)
        ):
            keys.setdefault(n.reference, set()).add(n.key)
        for stored in await conn.execute(
            select(line.c.manifest_id, line.c.line_id, line.c.block_keys)
        ):
            assert set(stored.block_keys) == keys[f"{stored.manifest_id}/{stored.line_id}"]
        for notified in await conn.execute(
            select(prenotification_table.c.reference, prenotification_table.c.block_keys)
        ):
            assert set(notified.block_keys) == keys[notified.reference]
    return keys


async def test_every_history_goes_down_to_nothing_and_up_again_to_the_same_schema(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        for definition in ALL.values():
            await upgrade(engine, definition)
        first = {d.schema: await _described(engine, d.schema) for d in ALL.values()}
        for definition in ALL.values():
            await _migrate(engine, "downgrade", "base", definition.name)
        for definition in ALL.values():
            assert set(await _described(engine, definition.schema)) == {"alembic_version"}
            await upgrade(engine, definition)
        again = {d.schema: await _described(engine, d.schema) for d in ALL.values()}
    finally:
        await engine.dispose()
    assert again == first


async def test_every_service_migrates_to_exactly_the_tables_it_declares(
    database_url: str,
) -> None:
    """Each service's tables as its migrations left them (those of the shared steps and its
    own), against the same tables created from its metadata in a scratch schema: columns in
    order with their types, nullability, defaults and identity, constraints and indexes. The
    migrations are the truth; a declaration that differs is the one to correct."""
    engine = make_engine(database_url)
    drift: list[str] = []
    try:
        for definition in ALL.values():
            await upgrade(engine, definition)
            declared = definition.tables.metadata.sorted_tables
            assert {t.name for t in declared} == EXPECTED_TABLES[definition.schema], definition.name
            scratch = f"declared_{definition.schema}"
            async with engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{scratch}"'))
                await conn.run_sync(_create_in(scratch, definition.schema, declared))
            migrated = await _described(engine, definition.schema)
            expected = await _described(engine, scratch)
            for table in declared:
                drift += _drift(
                    f"{definition.schema}.{table.name}",
                    _without_triggers(migrated[table.name]),
                    expected[table.name],
                )
    finally:
        await engine.dispose()
    assert drift == [], "the migrations differ from the code:\n" + "\n".join(drift)


def _without_triggers(described: dict[str, list[Catalogued]]) -> dict[str, list[Catalogued]]:
    """A table without its constraint triggers (contype `t`): the audit trail's triggers are
    behaviour written in SQL by its migration (docs/audit.md, "The chain"), not part of what
    a table declaration can say."""
    constraints = [c for c in described["constraints"] if c[1] != b"t"]  # a "char": bytes
    return {**described, "constraints": constraints}


def _drift(
    name: str, migrated: dict[str, list[Catalogued]], declared: dict[str, list[Catalogued]]
) -> list[str]:
    return [
        f"{name} {kind}: migrated {migrated[kind]}, declared {declared[kind]}"
        for kind in ("columns", "constraints", "indexes")
        if migrated[kind] != declared[kind]
    ]


def _create_in(scratch: str, schema: str, tables: list[Table]) -> Callable[[Connection], None]:
    def create(sync: Connection) -> None:
        translated = sync.execution_options(schema_translate_map={schema: scratch})
        tables[0].metadata.create_all(translated, tables=tables)

    return create


async def _described(engine: AsyncEngine, schema: str) -> dict[str, dict[str, list[Catalogued]]]:
    """Per table of `schema`: its columns in order, constraints and indexes, as the catalogue
    states them, with the schema's name taken out (so two schemas compare)."""
    async with engine.connect() as conn:
        tables = await _rows(conn, schema, "SELECT tablename FROM pg_tables WHERE schemaname = :s")
        columns = await _rows(
            conn,
            schema,
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
            " pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE n.nspname = :s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY c.relname, a.attnum",
        )
        constraints = await _rows(
            conn,
            schema,
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)"
            " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s"
            " ORDER BY c.relname, k.conname",
        )
        indexes = await _rows(
            conn,
            schema,
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :s"
            " ORDER BY tablename, indexname",
        )
    described: dict[str, dict[str, list[Catalogued]]] = {
        str(t[0]): {"columns": [], "constraints": [], "indexes": []} for t in tables
    }
    for kind, rows in (("columns", columns), ("constraints", constraints), ("indexes", indexes)):
        for row in rows:
            described[str(row[0])][kind].append(row[1:])
    return described


async def _rows(conn: AsyncConnection, schema: str, query: str) -> list[Catalogued]:
    rows = (await conn.execute(text(query), {"s": schema})).all()
    return [
        tuple(
            v.replace(f'"{schema}".', "").replace(f"{schema}.", "") if isinstance(v, str) else v
            for v in row
        )
        for row in rows
    ]
