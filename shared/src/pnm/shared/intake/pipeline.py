"""The intake pipeline, parameterised by what differs between the intake services: the record
type, its checks and its store (`IntakeRules`).

    each input on its own: a file row that is no record, the schema, the service's checks
      -> refused (with every reason) or accepted (with its flags)
    the accepted ones stored in one batch; one the database refuses refuses only itself
      (pnm.shared.isolation)
    every refused input kept with its reasons (pnm.shared.rejections), its result numbered
    and, by the service's store, when each feed last sent something (`FeedClock`)

The caller commits: what a batch stores and the refusals it keeps commit together."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.shared.db import UnitOfWork
from pnm.shared.intake.model import (
    Accepted,
    IntakeChecks,
    Issue,
    RecordT,
    ResultT,
    StoredT,
    Submission,
    refusals,
    screen,
)
from pnm.shared.isolation import refusal_reason, store_isolated
from pnm.shared.rejections import Rejections


class IntakeRules(IntakeChecks[RecordT, StoredT, ResultT]):
    """What one intake service does differently: its checks, its store and its table of
    refused input."""

    rejections: Rejections

    @abstractmethod
    async def store(
        self,
        uow: UnitOfWork,
        accepted: Sequence[Accepted[StoredT]],
        results: list[ResultT],
        now: datetime,
    ) -> None:
        """Store a batch of accepted records and give each its outcome; it raises when the
        database refuses them (then each is stored alone)."""


async def take_in(
    uow: UnitOfWork,
    submissions: Sequence[Submission],
    rules: IntakeRules[RecordT, StoredT, ResultT],
    now: datetime,
) -> list[ResultT]:
    """Every input's result, in the order of the inputs."""
    results, accepted = screen(submissions, rules, now)
    await store_isolated(
        uow,
        accepted,
        lambda items: rules.store(uow, items, results, now),
        lambda item, err: results[item.index].refuse([Issue.of(refusal_reason(err))]),
    )
    await rules.rejections.keep_refused(uow.conn, refusals(submissions, results, rules))
    return results


async def resubmit(
    uow: UnitOfWork,
    rules: IntakeRules[RecordT, StoredT, ResultT],
    rejection_id: int,
    payload: Any,
    now: datetime,
    entered_by: str | None = None,
) -> ResultT:
    """The corrected input for a refused one (the caller has checked who may correct it); on
    acceptance the rejection is closed, naming what it was accepted as."""
    submission = Submission(
        payload, "resubmit", source=f"rejection {rejection_id}", entered_by=entered_by
    )
    [result] = await take_in(uow, [submission], rules, now)
    accepted_as = rules.subject(result)
    if result.outcome != "rejected" and accepted_as:
        await rules.rejections.mark_resubmitted(uow.conn, rejection_id, accepted_as, now)
    return result


@dataclass(frozen=True)
class FeedClock:
    """A service's table of when each feed last sent something: `key` names the feed,
    `at` holds the time."""

    table: Table
    key: str
    at: str

    async def touch(
        self, conn: AsyncConnection, feeds: Iterable[str], now: datetime
    ) -> dict[str, Any]:
        """Each feed sent something `now`; returns when each had before (None: never)."""
        names = sorted(set(feeds))
        if not names:
            return {}
        key, at = self.table.c[self.key], self.table.c[self.at]
        rows = await conn.execute(select(key, at).where(key.in_(names)).with_for_update())
        previous = {row[0]: row[1] for row in rows}
        stmt = pg_insert(self.table)
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=[self.key], set_={self.at: now}),
            [{self.key: name, self.at: now} for name in names],
        )
        return {name: previous.get(name) for name in names}
