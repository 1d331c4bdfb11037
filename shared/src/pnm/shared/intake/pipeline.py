"""The intake pipeline, parameterised by what differs between the intake services: the record
type, its checks and its store (`IntakeRules`).

    each input on its own: a file row that is no record, the schema, the service's checks
      -> refused (with every reason) or accepted (with its flags)
    the accepted ones stored in one batch; one the database refuses refuses only itself
      (pnm.shared.isolation)
    every refused input kept with its reasons (pnm.shared.rejections), its result numbered
    and, by the service's store, when each feed last sent something

All of it through the service's store (`store.IntakeStore`), never SQL. The caller commits:
what a batch stores and the refusals it keeps commit together."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

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
from pnm.shared.intake.store import IntakeStore

StoreT = TypeVar("StoreT", bound=IntakeStore)


class IntakeRules(
    IntakeChecks[RecordT, StoredT, ResultT], Generic[RecordT, StoredT, ResultT, StoreT]
):
    """What one intake service does differently: its checks and what it stores."""

    @abstractmethod
    async def store(
        self,
        store: StoreT,
        accepted: Sequence[Accepted[StoredT]],
        results: list[ResultT],
        now: datetime,
    ) -> None:
        """Store a batch of accepted records and give each its outcome; it raises when the
        store refuses them (then each is stored alone)."""


async def take_in(
    store: StoreT,
    submissions: Sequence[Submission],
    rules: IntakeRules[RecordT, StoredT, ResultT, StoreT],
    now: datetime,
) -> list[ResultT]:
    """Every input's result, in the order of the inputs."""
    results, accepted = screen(submissions, rules, now)
    await store.isolated(
        accepted,
        lambda items: rules.store(store, items, results, now),
        lambda item, reason: results[item.index].refuse([Issue.of(reason)]),
    )
    await store.keep_refused(refusals(submissions, results, rules))
    return results


async def resubmit(
    store: StoreT,
    rules: IntakeRules[RecordT, StoredT, ResultT, StoreT],
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
    [result] = await take_in(store, [submission], rules, now)
    accepted_as = rules.subject(result)
    if result.outcome != "rejected" and accepted_as:
        await store.mark_resubmitted(rejection_id, accepted_as, now)
    return result
