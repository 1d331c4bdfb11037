"""References customs linked to a line's case (docs/cases.md): kept per case, and added to
the references the line quotes whenever its facts are built."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.block_index import of_lines
from pnm.matcher.adapters.tables import line, line_reference
from pnm.matcher.domain.facts import LineFacts
from pnm.shared.contracts.records import CaseChanged, LineKey, ManifestLine


async def store_links(conn: AsyncConnection, case: CaseChanged) -> None:
    """The case's linked references replace those stored for it, unless they are older."""
    inserted = pg_insert(line_reference).values(
        manifest_id=case.manifest_id,
        line_id=case.line_id,
        case_id=case.case_id,
        references=sorted(set(case.references)),
        linked_at=case.at,
    )
    await conn.execute(
        inserted.on_conflict_do_update(
            index_elements=[
                line_reference.c.manifest_id,
                line_reference.c.line_id,
                line_reference.c.case_id,
            ],
            set_={"references": inserted.excluded.references, "linked_at": case.at},
            where=line_reference.c.linked_at <= case.at,
        )
    )


async def linked_references(
    conn: AsyncConnection, keys: Iterable[LineKey]
) -> dict[LineKey, frozenset[str]]:
    """Per line with any, the references linked to its cases (most lines have none)."""
    keys = set(keys)
    if not keys:
        return {}
    found: dict[LineKey, set[str]] = defaultdict(set)
    rows = await conn.execute(
        select(
            line_reference.c.manifest_id,
            line_reference.c.line_id,
            func.unnest(line_reference.c.references).label("reference"),
        ).where(of_lines(line_reference, keys))
    )
    for r in rows:
        found[(r.manifest_id, r.line_id)].add(r.reference)
    return {key: frozenset(references) for key, references in found.items()}


async def requote(
    conn: AsyncConnection, lines: Mapping[LineKey, ManifestLine]
) -> dict[LineKey, LineFacts]:
    """The facts of stored lines that have linked references, with them; their block keys are
    written to the line rows (coverage reads the quoted references from there). The caller
    replaces their key rows. Read after the line row is written or locked, so that a link and
    a new version committed concurrently both end up in the keys."""
    linked = await linked_references(conn, lines)
    facts = {key: LineFacts.of(lines[key], references) for key, references in linked.items()}
    for (manifest_id, line_id), f in facts.items():
        await conn.execute(
            line.update()
            .where(line.c.manifest_id == manifest_id, line.c.line_id == line_id)
            .values(block_keys=sorted(f.block_keys))
        )
    return facts
