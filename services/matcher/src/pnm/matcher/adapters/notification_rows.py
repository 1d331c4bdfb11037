"""The matcher store's pre-notifications: each newest version kept with its parsed facts and
block keys, and stage 4's search for those sharing a key with a line."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence

from sqlalchemy import select

from pnm.matcher.adapters.block_index import (
    any_of,
    notifications_with_keys,
    replace_notification_keys,
)
from pnm.matcher.adapters.store_rows import StoreRows, as_received
from pnm.matcher.adapters.tables import prenotification
from pnm.matcher.domain.facts import NotificationFacts
from pnm.matcher.service_layer.store import NotificationInput, NotificationWritten
from pnm.shared.db import upsert_newer


class _FactsCache:
    """Parsed facts of stored pre-notification versions, least recently used out. A version
    never changes once stored, so the cache needs no invalidation, in any number of matcher
    processes; it saves reading and parsing a vessel's notifications for every batch."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._facts: OrderedDict[tuple[str, int], NotificationFacts] = OrderedDict()

    def get(self, reference: str, version: int) -> NotificationFacts | None:
        found = self._facts.get((reference, version))
        if found is not None:
            self._facts.move_to_end((reference, version))
        return found

    def put(self, version: int, facts: NotificationFacts) -> None:
        self._facts[(facts.reference, version)] = facts
        if len(self._facts) > self._capacity:
            self._facts.popitem(last=False)


_facts_cache = _FactsCache(capacity=50_000)


class NotificationRows(StoreRows):
    """The pre-notifications part of `PostgresStore`."""

    async def put_notifications(
        self, notifications: Sequence[NotificationInput]
    ) -> list[NotificationWritten]:
        if not notifications:
            return []
        by_reference = {n.record.reference: n for n in notifications}
        previous = {
            r.reference: frozenset(r.block_keys or ())
            for r in await self._conn.execute(
                select(prenotification.c.reference, prenotification.c.block_keys).where(
                    prenotification.c.reference == any_of(by_reference)
                )
            )
        }
        written = [
            by_reference[w.reference]
            for w in await upsert_newer(
                self._conn,
                prenotification,
                [
                    {
                        "reference": n.record.reference,
                        "version": n.record.version,
                        "status": n.record.status.value,
                        "ched_type": n.record.ched_type.value,
                        "containers": sorted(n.facts.containers),
                        "transport_document": n.facts.transport_document,
                        "record": as_received(n.raw, n.record),
                        "block_keys": sorted(n.facts.block_keys),
                        "facts": n.facts.to_json(),
                    }
                    for n in notifications
                ],
                key=["reference"],
            )
        ]
        await replace_notification_keys(
            self._conn,
            {n.record.reference: (n.record.version, n.facts.block_keys) for n in written},
        )
        for n in written:
            _facts_cache.put(n.record.version, n.facts)
            self._wrote.notifications.add(n.record.reference)
            self._wrote.notification_keys.update(n.facts.block_keys)
        return [
            NotificationWritten(n.facts, previous.get(n.record.reference, frozenset()))
            for n in written
        ]

    async def notifications_with_keys(self, block_keys: Collection[str]) -> list[NotificationFacts]:
        """Stage 4 in SQL: pre-notifications sharing a block key, one index probe per key,
        with their version; the facts of versions seen before come from the cache. The domain
        then applies the exact block rules (arrival window, party)."""
        self._read.notification_keys.update(block_keys)
        found: dict[str, NotificationFacts] = {}
        missing = []
        for reference, version in await self._conn.execute(notifications_with_keys(block_keys)):
            cached = _facts_cache.get(reference, version)
            if cached is None:
                missing.append(reference)
            else:
                found[reference] = cached
        if missing:
            for reference, version, facts, keys in await self._conn.execute(
                select(
                    prenotification.c.reference,
                    prenotification.c.version,
                    prenotification.c.facts,
                    prenotification.c.block_keys,
                ).where(
                    prenotification.c.reference == any_of(missing),
                    prenotification.c.facts.is_not(None),
                )
            ):
                # Stored with the facts of the same version; none only in rows older than keys.
                found[reference] = NotificationFacts.from_json(facts, keys or None)
                _facts_cache.put(version, found[reference])
        self._read.notifications.update(found)
        return [found[r] for r in sorted(found)]
