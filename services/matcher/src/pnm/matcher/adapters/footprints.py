"""Optimistic decision steps: what a decision step read and what a transaction wrote, as keys,
so that a batch of lines can be decided without the decision lock and checked under it.

Every transaction that stores matcher inputs records, under the decision lock and in the same
commit, one numbered *epoch*: the footprint of what it wrote (lines, their keys,
pre-notifications, their keys, manifests whose arrival or ETA changed, feeds, lines whose
decision it wrote). A batch of lines notes the last epoch, reads and decides without the lock,
then takes the lock and compares its read footprint with the epochs committed since. If one
overlaps, something it read may have changed and it decides again under the lock; if none
does, every input it would have seen under the lock was already in what it read.

A footprint may name more than was touched (two keys that collide only cost a second
decision) but never less: a missing key is a missed conflict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import decision_epoch
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.keys import WEAK
from pnm.shared.contracts.records import LineKey, line_key

# Epochs kept: a decision step that started before the oldest kept one decides again under the
# lock (rows hold thousands of keys, so they are not kept long).
RETAINED_EPOCHS = 64


@dataclass
class Footprint:
    lines: set[str] = field(default_factory=set)  # line keys (`manifest_id/line_id`)
    # The keys by which a notification covers a line: strong keys and typo neighbourhoods
    # (two numbers share one only when one of them is a typo of the other, `facts.typo_keys`).
    line_keys: set[str] = field(default_factory=set)
    notifications: set[str] = field(default_factory=set)  # references
    notification_keys: set[str] = field(default_factory=set)  # block keys of notifications
    manifests: set[str] = field(default_factory=set)  # arrivals and ETA updates
    feeds: bool = False  # a feed's status
    # A feed's sign of life (a record of it): it only ever ends a silence, so it matters to a
    # step that saw a feed degraded, not to every step.
    feed_life: bool = False

    def add_lines(self, keys: Iterable[LineKey]) -> None:
        self.lines.update(line_key(m, n) for m, n in keys)

    def add_coverage(self, facts: LineFacts | NotificationFacts) -> None:
        """The keys of a line stored, or of a notification whose covered lines were read."""
        self.line_keys.update(k for k in facts.block_keys if not k.startswith(WEAK))

    def overlaps(self, wrote: Footprint) -> bool:
        """Whether what `wrote` names may change what this footprint read."""
        return (
            any(not getattr(self, k).isdisjoint(getattr(wrote, k)) for k in _SAME_NAME)
            or (self.feeds and wrote.feeds)
            or (self.feed_life and wrote.feed_life)
        )


_SAME_NAME = ("lines", "line_keys", "notifications", "notification_keys", "manifests")


_NEWEST = select(func.coalesce(func.max(decision_epoch.c.epoch), 0))


async def last_epoch(conn: AsyncConnection) -> int:
    """The newest committed epoch: everything up to it is visible to reads that follow."""
    return int(await conn.scalar(_NEWEST) or 0)


async def changed_since(conn: AsyncConnection, epoch: int, read: Footprint) -> bool:
    """Under the decision lock: did a transaction committed after `epoch` write anything in
    `read`? Also true when epochs after it are no longer kept."""
    rows = (
        await conn.execute(
            select(decision_epoch).where(decision_epoch.c.epoch > epoch).order_by("epoch")
        )
    ).all()
    if rows and rows[0].epoch != epoch + 1:
        return True
    return any(
        read.overlaps(
            Footprint(
                set(r.lines),
                set(r.line_keys),
                set(r.notifications),
                set(r.notification_keys),
                set(r.manifests),
                r.feeds,
                r.feed_life,
            )
        )
        for r in rows
    )


async def record(conn: AsyncConnection, wrote: Footprint) -> None:
    """Under the decision lock, in the transaction that wrote: the next epoch. Numbered under
    the lock and committed before it is released, epochs commit in their order."""
    last = _NEWEST.scalar_subquery()
    epoch = await conn.scalar(
        insert(decision_epoch)
        .values(
            epoch=last + 1,
            lines=list(wrote.lines),
            line_keys=list(wrote.line_keys),
            notifications=list(wrote.notifications),
            notification_keys=list(wrote.notification_keys),
            manifests=list(wrote.manifests),
            feeds=literal(wrote.feeds),
            feed_life=literal(wrote.feed_life),
        )
        .returning(decision_epoch.c.epoch)
    )
    await conn.execute(
        delete(decision_epoch).where(decision_epoch.c.epoch <= int(epoch or 0) - RETAINED_EPOCHS)
    )
