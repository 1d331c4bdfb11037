"""The matcher store's decisions: each line's current decision with its schedule, its history,
and the questions asked of them (due, held back, overdue, quoting a reference)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.matcher.adapters.block_index import of_lines
from pnm.matcher.adapters.store_rows import StoreRows
from pnm.matcher.adapters.tables import decision, decision_history
from pnm.matcher.service_layer.store import DecisionStep, StoredDecision
from pnm.shared.contracts.records import Decision, LineKey
from pnm.shared.db import upsert

HISTORY_COLUMNS = ("manifest_id", "line_id", "decision_number", "status", "payload")


class DecisionRows(StoreRows):
    """The decisions part of `PostgresStore`."""

    async def save_decisions(self, step: DecisionStep) -> None:
        self._wrote.add_lines(d.key for d in step.decided)
        if step.rescheduled:
            await self._conn.execute(
                decision.update()
                .where(
                    decision.c.manifest_id == bindparam("m"), decision.c.line_id == bindparam("l")
                )
                .values(
                    next_deadline=bindparam("next_deadline"),
                    feed_held=bindparam("feed_held"),
                    held_since=bindparam("held_since"),
                    port=bindparam("port"),
                    eta=bindparam("eta"),
                ),
                [
                    {
                        "m": d.key[0],
                        "l": d.key[1],
                        "next_deadline": d.evaluation.next_deadline,
                        "feed_held": d.evaluation.feed_held,
                        "held_since": d.evaluation.held_since,
                        "port": d.port,
                        "eta": d.eta,
                    }
                    for d in step.rescheduled
                ],
            )
        if not step.changed:
            return
        await upsert(
            self._conn,
            decision,
            [
                {
                    "manifest_id": d.key[0],
                    "line_id": d.key[1],
                    "decision_number": d.evaluation.decision.decision_number,
                    "status": d.evaluation.decision.status.value,
                    "references": list(d.evaluation.decision.references),
                    "payload": d.evaluation.decision.model_dump(mode="json"),
                    "decided_at": step.at,
                    "port": d.port,
                    "eta": d.eta,
                    "next_deadline": d.evaluation.next_deadline,
                    "feed_held": d.evaluation.feed_held,
                    "held_since": d.evaluation.held_since,
                }
                for d in step.changed
            ],
            ["manifest_id", "line_id"],
        )
        # The history copies the rows just written inside the database: the payloads are not
        # serialised and sent a second time.
        columns = [decision.c[c] for c in HISTORY_COLUMNS]
        await self._conn.execute(
            pg_insert(decision_history)
            .from_select(
                HISTORY_COLUMNS,
                select(*columns).where(of_lines(decision, [d.key for d in step.changed])),
            )
            .on_conflict_do_nothing()
        )

    async def lines_quoting(self, references: Collection[str]) -> dict[str, set[LineKey]]:
        found: dict[str, set[LineKey]] = defaultdict(set)
        if references:
            wanted = set(references)
            rows = await self._conn.execute(
                select(decision.c.manifest_id, decision.c.line_id, decision.c.references).where(
                    decision.c.references.overlap(sorted(wanted))
                )
            )
            for r in rows:
                for reference in wanted.intersection(r.references):
                    found[reference].add((r.manifest_id, r.line_id))
        return found

    async def held_lines(self) -> set[LineKey]:
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(decision.c.feed_held == true())
        )
        return {(r.manifest_id, r.line_id) for r in rows}

    async def overdue_lines(self) -> set[LineKey]:
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(
                decision.c.payload.contains({"per_regime": [{"status": "overdue"}]})
            )
        )
        return {(r.manifest_id, r.line_id) for r in rows}

    async def any_held(self) -> bool:
        return bool(await self._conn.scalar(select(exists().where(decision.c.feed_held == true()))))

    async def due_lines(self, now: datetime, limit: int | None) -> list[LineKey]:
        """Locked, and skipped by a concurrent matcher process: each is decided once."""
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id)
            .where(decision.c.next_deadline <= now)
            .order_by(decision.c.next_deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(r.manifest_id, r.line_id) for r in rows]

    async def next_due(self) -> datetime | None:
        result: datetime | None = await self._conn.scalar(
            select(func.min(decision.c.next_deadline))
        )
        return result

    async def decisions(self, keys: Collection[LineKey]) -> dict[LineKey, StoredDecision]:
        if not keys:
            return {}
        rows = await self._conn.execute(
            select(
                decision.c.manifest_id,
                decision.c.line_id,
                decision.c.payload,
                decision.c.next_deadline,
                decision.c.feed_held,
                decision.c.held_since,
                decision.c.port,
                decision.c.eta,
            ).where(of_lines(decision, keys))
        )
        return {
            (r.manifest_id, r.line_id): StoredDecision(
                Decision.model_validate(r.payload),
                (r.next_deadline, r.feed_held, r.held_since),
                r.port,
                r.eta,
            )
            for r in rows
        }
