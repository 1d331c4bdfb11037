"""The matcher store's manifest lines: each newest version kept with its block keys and the
references linked to its case, and the questions that find lines (by key, by manifest, near a
pre-notification)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select

from pnm.matcher.adapters.block_index import (
    any_of,
    lines_by_key,
    lines_near,
    of_lines,
    replace_line_keys,
)
from pnm.matcher.adapters.linked_references import linked_references, requote, store_links
from pnm.matcher.adapters.store_rows import StoreRows, as_received
from pnm.matcher.adapters.tables import line
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.keys import strong_keys
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.service_layer.store import LineInput, NearLine, StoredLine
from pnm.shared.contracts.records import CaseChanged, LineKey, ManifestLine
from pnm.shared.db import upsert_newer


class LineRows(StoreRows):
    """The lines part of `PostgresStore`."""

    async def put_lines(self, lines: Sequence[LineInput]) -> dict[LineKey, StoredLine]:
        by_key = {(i.line.record.manifest_id, i.line.record.line_id): i.line for i in lines}
        written = {
            (w.manifest_id, w.line_id): by_key[(w.manifest_id, w.line_id)]
            for w in await upsert_newer(
                self._conn,
                line,
                [
                    {
                        "manifest_id": i.line.record.manifest_id,
                        "line_id": i.line.record.line_id,
                        "version": i.line.record.version,
                        "withdrawn": i.line.record.withdrawn,
                        "containers": sorted(i.line.facts.containers),
                        "transport_document": i.line.facts.transport_document,
                        "record": as_received(i.raw, i.line.record),
                        "block_keys": sorted(i.line.facts.block_keys),
                        "gross_mass_kg": i.line.facts.gross_mass_kg,
                        "packages": i.line.facts.packages,
                    }
                    for i in lines
                ],
                key=["manifest_id", "line_id"],
            )
        }
        # A new version keeps the references linked to the line's case (docs/cases.md).
        requoted = await requote(self._conn, {k: s.record for k, s in written.items()})
        for key, facts in requoted.items():
            written[key] = StoredLine(written[key].record, facts)
        await self._keep_line_keys(written)
        return written

    async def _keep_line_keys(self, lines: Mapping[LineKey, StoredLine]) -> None:
        await replace_line_keys(self._conn, {k: s.facts.block_keys for k, s in lines.items()})
        self._known.update(lines)
        for stored in lines.values():
            self._wrote.add_coverage(stored.facts)
        self._wrote.add_lines(lines)

    async def put_links(self, cases: Sequence[CaseChanged]) -> dict[LineKey, StoredLine]:
        """The case's links kept; the lines declared already quote them from now on."""
        if not cases:
            return {}
        for case in cases:
            await store_links(self._conn, case)
        keys = {(c.manifest_id, c.line_id) for c in cases}
        # Locked: a new version of the line stored concurrently reads the links after it.
        rows = await self._conn.execute(
            select(line.c.manifest_id, line.c.line_id, line.c.record)
            .where(of_lines(line, keys))
            .with_for_update()
        )
        records = {(r.manifest_id, r.line_id): ManifestLine.model_validate(r.record) for r in rows}
        facts = await requote(self._conn, records)
        relinked = {key: StoredLine(records[key], facts[key]) for key in facts}
        await self._keep_line_keys(relinked)
        return relinked

    async def lines(self, keys: Collection[LineKey]) -> dict[LineKey, StoredLine]:
        found = {k: self._known[k] for k in keys if k in self._known}
        missing = set(keys) - set(found)
        if missing:
            rows = await self._conn.execute(
                select(line.c.manifest_id, line.c.line_id, line.c.record).where(
                    of_lines(line, missing)
                )
            )
            records = {
                (r.manifest_id, r.line_id): ManifestLine.model_validate(r.record) for r in rows
            }
            linked = await linked_references(self._conn, records)
            for key, record_ in records.items():
                found[key] = StoredLine(record_, LineFacts.of(record_, linked.get(key, ())))
        self._read.add_lines(found)
        return found

    async def lines_with_keys(self, block_keys: Collection[str]) -> dict[str, set[LineKey]]:
        found: dict[str, set[LineKey]] = defaultdict(set)
        if block_keys:
            for r in await self._conn.execute(lines_by_key(block_keys)):
                found[r.key].add((r.manifest_id, r.line_id))
        return found

    async def lines_of_manifests(
        self, manifests: Collection[str]
    ) -> dict[str, list[tuple[LineKey, frozenset[str]]]]:
        found: dict[str, list[tuple[LineKey, frozenset[str]]]] = defaultdict(list)
        rows = await self._conn.execute(
            select(line.c.manifest_id, line.c.line_id, line.c.containers).where(
                line.c.manifest_id == any_of(manifests)
            )
        )
        for r in rows:
            found[r.manifest_id].append(((r.manifest_id, r.line_id), frozenset(r.containers)))
        return found

    async def lines_near(
        self, notifications: Collection[NotificationFacts]
    ) -> dict[str, list[NearLine]]:
        near: dict[str, list[NearLine]] = defaultdict(list)
        for n in notifications:
            self._read.add_coverage(n)
        for r in await self._conn.execute(lines_near([n.reference for n in notifications])):
            containers = frozenset(r.containers)
            key = (r.manifest_id, r.line_id)
            near[r.reference].append(
                NearLine(
                    key,
                    strong_keys(containers, r.transport_document, ()) | set(r.references or ()),
                    containers,
                    r.transport_document,
                    Quantity(r.gross_mass_kg, r.packages),
                )
            )
            self._read.add_lines([key])
        return near
