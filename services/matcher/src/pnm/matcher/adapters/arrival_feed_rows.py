"""The matcher store's clocks: arrivals, ETA updates, the feeds' statuses and the
pre-notification watermark, what a line's deadline and a feed hold are reckoned from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Table, cast, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.block_index import any_of
from pnm.matcher.adapters.store_rows import StoreRows
from pnm.matcher.adapters.tables import arrival, eta_update, feed, prenotification_watermark
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts
from pnm.matcher.domain.watermark import PartitionMark, feed_watermark
from pnm.shared.contracts.records import FeedStatus

_Facts = TypeVar("_Facts", ArrivalFacts, EtaFacts)


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def _set(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


class ArrivalFeedRows(StoreRows):
    """The arrivals, ETA updates, feeds and watermark part of `PostgresStore`."""

    async def add_arrivals(self, arrivals: Sequence[ArrivalFacts]) -> None:
        await self._add_by_manifest(arrival, arrivals)

    async def add_eta_updates(self, updates: Sequence[EtaFacts]) -> None:
        await self._add_by_manifest(eta_update, updates)

    async def _add_by_manifest(
        self, table: Table, facts: Sequence[ArrivalFacts] | Sequence[EtaFacts]
    ) -> None:
        """One row per fact, its fields by their column names (the containers sorted); their
        manifests are what this step wrote."""
        if facts:
            await self._conn.execute(
                insert(table), [{**asdict(f), "containers": _sorted(f.containers)} for f in facts]
            )
            self._wrote.manifests.update(f.manifest_id for f in facts)

    async def put_feed_statuses(self, statuses: Sequence[FeedStatus]) -> None:
        for status in statuses:
            await self._conn.execute(
                pg_insert(feed)
                .values(system=status.system, status=status.model_dump(mode="json"))
                .on_conflict_do_update(
                    index_elements=[feed.c.system],
                    set_={"status": status.model_dump(mode="json")},
                    # Only a newer status replaces the one kept (compared as times, not text).
                    where=cast(feed.c.status["at"].astext, DateTime(timezone=True)) <= status.at,
                )
            )
            self._wrote.feeds = True

    async def note_feed_life(self, life: Mapping[str, datetime]) -> None:
        for system, at in life.items():
            last = cast(feed.c.status["last_record_at"].astext, DateTime(timezone=True))
            await self._conn.execute(
                feed.update()
                .where(
                    feed.c.system == system,
                    or_(feed.c.status["last_record_at"].astext.is_(None), last < at),
                )
                .values(status=feed.c.status.op("||")({"last_record_at": at.isoformat()}))
            )
            self._wrote.feed_life = True

    async def put_watermarks(self, marks: Sequence[PartitionMark], at: datetime) -> None:
        for mark in marks:
            await self._conn.execute(
                pg_insert(prenotification_watermark)
                .values(**asdict(mark), received_at=at)
                .on_conflict_do_update(
                    index_elements=[prenotification_watermark.c.partition],
                    set_={"partitions": mark.partitions, "watermark": mark.watermark},
                    where=prenotification_watermark.c.watermark < mark.watermark,
                )
            )

    async def etas(self, manifests: Collection[str]) -> dict[str, list[EtaFacts]]:
        return await self._by_manifest(eta_update, EtaFacts, manifests)

    async def arrivals(self, manifests: Collection[str]) -> dict[str, list[ArrivalFacts]]:
        return await self._by_manifest(arrival, ArrivalFacts, manifests)

    async def _by_manifest(
        self, table: Table, kind: type[_Facts], manifests: Collection[str]
    ) -> dict[str, list[_Facts]]:
        """The facts of these manifests, each built from its row by field name."""
        self._read.manifests.update(manifests)
        names = [f.name for f in fields(kind)]
        found: dict[str, list[_Facts]] = defaultdict(list)
        for r in await self._conn.execute(
            select(*(table.c[name] for name in names)).where(
                table.c.manifest_id == any_of(manifests)
            )
        ):
            found[r.manifest_id].append(kind(**{**r._mapping, "containers": _set(r.containers)}))
        return found

    async def feeds(self) -> list[FeedStatus]:
        self._read.feeds = True
        return [FeedStatus.model_validate(r.status) for r in await self._conn.execute(select(feed))]

    async def watermark(self) -> datetime | None:
        return await read_watermark(self._conn)


async def read_watermark(conn: AsyncConnection) -> datetime | None:
    """The pre-notification feed's watermark: the lowest of its partitions' (see
    `domain.watermark`)."""
    rows = await conn.execute(
        select(
            prenotification_watermark.c.partition,
            prenotification_watermark.c.partitions,
            prenotification_watermark.c.watermark,
        )
    )
    return feed_watermark(PartitionMark(*r) for r in rows)
