"""The matcher's store over its PostgreSQL tables (`service_layer.store.Store`): one
set-based statement per kind of row and question per step, never one per line or event.

It also keeps the step's footprints (`footprints`): every question adds what it read, every
write what it wrote, so that a batch of lines decided before the decision lock can be checked
under it.

Each kind of row has its part (`line_rows`, `notification_rows`, `decision_rows`,
`arrival_feed_rows`); this class joins them and holds what concerns the whole step: the active
indicator set and the decision lock."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.arrival_feed_rows import ArrivalFeedRows
from pnm.matcher.adapters.decision_rows import DecisionRows
from pnm.matcher.adapters.footprints import Footprint, changed_since, last_epoch, record
from pnm.matcher.adapters.indicator_sets import active_indicator_set
from pnm.matcher.adapters.line_rows import LineRows
from pnm.matcher.adapters.notification_rows import NotificationRows
from pnm.matcher.domain.indicators import IndicatorSet

MATCHER_LOCK = 0x706E6D_6D61  # "pnm" "ma": the advisory lock that serialises decisions


class PostgresStore(LineRows, NotificationRows, DecisionRows, ArrivalFeedRows):
    """One per transaction (the connection's)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._known = {}
        self._read = Footprint()
        self._wrote = Footprint()
        self._locked = False
        self._indicators: IndicatorSet | None = None

    # Questions ---------------------------------------------------------------------------

    async def indicator_set(self) -> IndicatorSet:
        if self._indicators is None:
            self._indicators = await active_indicator_set(self._conn)
        return self._indicators

    # Concurrency -------------------------------------------------------------------------

    async def begin_optimistic(self) -> int | None:
        return None if self._locked else await last_epoch(self._conn)

    async def serialise(self) -> None:
        """One matcher decision step at a time, taken once per transaction after its inputs
        are written; released at commit. A line and the notification that covers it may come
        in concurrent transactions (two topics, two partitions, two processes); under READ
        COMMITTED each would look for the other before it committed and neither would see
        it. With the lock, whichever decides second sees the other committed. Storing inputs
        needs no lock, and a batch of lines reads and decides before taking it, checked under
        it (`footprints`), so both overlap with another transaction's decisions."""
        if self._locked:
            return
        self._locked = True
        await self._conn.execute(select(func.pg_advisory_xact_lock(MATCHER_LOCK)))

    async def changed_since(self, mark: int) -> bool:
        return await changed_since(self._conn, mark, self._read)

    async def depends_on_feed_life(self) -> None:
        self._read.feed_life = True

    async def record_epoch(self) -> None:
        await record(self._conn, self._wrote)
