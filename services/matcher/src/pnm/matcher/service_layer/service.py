"""The matcher's application service: from the inputs of one unit of work to the decisions it
publishes, the same code for the service over PostgreSQL and for the replay over memory.

    apply(batch):
      1. keep the inputs (newest version wins)                     `_keep`
      2. under the decision lock (a batch of lines alone: checked under it instead),
         find the lines they affect                                 `_affected`
      3. decide those lines from current state                      `decide.evaluate_lines`
      4. keep the decisions and schedules; return the changed ones  `store.save_decisions`

Level-triggered: a line is decided from the current state, whatever came in, and a decision
is published only when it changed in substance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pnm.matcher.domain.feeds import degraded_feeds, with_life
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts
from pnm.matcher.service_layer.batch import Batch, Cause
from pnm.matcher.service_layer.decide import evaluate_lines, load_state
from pnm.matcher.service_layer.store import (
    Decided,
    DecisionRow,
    DecisionStep,
    NotificationWritten,
    Store,
    StoredLine,
)
from pnm.shared.clock import Clock
from pnm.shared.contracts.records import Decision, LineKey


@dataclass(frozen=True)
class Settings:
    # Blocks wait for the pre-notification watermark (docs/watermark.md); a replay reads a
    # complete file and has none.
    awaits_watermark: bool = True


@dataclass
class Applied:
    decisions: list[tuple[Decision, Cause]] = field(default_factory=list)  # to publish
    # How the step ran: "locked" (under the lock throughout), "checked" (decided before the
    # lock, nothing read had changed) or "redone" (decided again under it); None: no step.
    mode: str | None = None


@dataclass
class _Kept:
    lines: dict[LineKey, StoredLine]
    notifications: list[tuple[NotificationWritten, Cause]]
    relinked: dict[LineKey, StoredLine]
    life_matters: bool  # a sign of life changed which feeds are degraded


async def _keep(batch: Batch, store: Store, now: datetime) -> _Kept:
    lines = await store.put_lines(list(batch.lines.values()))
    causes = {n.record.reference: n.cause for n in batch.notifications.values()}
    written = await store.put_notifications(list(batch.notifications.values()))
    await store.add_arrivals([a for a, _ in batch.arrivals])
    await store.add_eta_updates([e for e, _ in batch.eta_updates])
    await store.put_feed_statuses([s for s, _ in batch.feed_statuses])
    life_matters = False
    if batch.feed_life:
        life = {system: at for system, (at, _) in batch.feed_life.items()}
        parameters = (await store.indicator_set()).parameters
        feeds = await store.feeds()
        before = degraded_feeds(feeds, now, parameters)
        await store.note_feed_life(life)
        # Life only ever ends a silence: it matters only when some feed was degraded.
        life_matters = bool(before) and before != degraded_feeds(
            with_life(feeds, life), now, parameters
        )
    if batch.watermarks:
        await store.put_watermarks(batch.watermarks, now)
    relinked = await store.put_links([c for c, _ in batch.links])
    return _Kept(lines, [(w, causes[w.facts.reference]) for w in written], relinked, life_matters)


async def _affected(batch: Batch, kept: _Kept, store: Store) -> tuple[dict[LineKey, Cause], bool]:
    """The lines the batch's inputs may change the decision of, each with the cause it is
    decided for; and whether lines sharing a candidate with them are decided too (a new line
    changes the mass its notifications are weighed against)."""
    dirty: dict[LineKey, Cause] = {}

    def mark(keys: Iterable[LineKey], cause: Cause) -> None:
        dirty.update((key, cause) for key in keys)

    for key in kept.lines:
        mark([key], batch.lines[key].cause)
    for key in kept.relinked:
        mark([key], next(c for case, c in batch.links if (case.manifest_id, case.line_id) == key))
    mark(batch.due, None)
    if kept.notifications:
        # Lines it may decide now, and lines it decided before this version (a moved
        # container), and lines whose decision quotes it.
        by_key = await store.lines_with_keys(
            {k for w, _ in kept.notifications for k in w.facts.block_keys | w.previous_keys}
        )
        quoting = await store.lines_quoting({w.facts.reference for w, _ in kept.notifications})
        for w, cause in kept.notifications:
            for k in w.facts.block_keys | w.previous_keys:
                mark(by_key.get(k, ()), cause)
            mark(quoting.get(w.facts.reference, ()), cause)
    changes: list[tuple[ArrivalFacts | EtaFacts, Cause]] = [*batch.arrivals, *batch.eta_updates]
    if changes:
        of_manifest = await store.lines_of_manifests({c.manifest_id for c, _ in changes})
        for change, cause in changes:
            mark(
                (
                    key
                    for key, containers in of_manifest.get(change.manifest_id, ())
                    if change.containers is None or not change.containers.isdisjoint(containers)
                ),
                cause,
            )
    # A feed's health changed: lines held back for an outage are looked at again (those still
    # degraded stay held), and so are overdue lines (no overdue while a feed may be holding
    # notifications back; docs/matcher-layers.md, "Feeds"). A sign of life that ends a silence, or a
    # watermark, can only let held lines through.
    feed_causes = [c for _, c in batch.feed_statuses]
    if feed_causes:
        mark(await store.overdue_lines(), feed_causes[-1])
    if kept.life_matters:
        feed_causes += [c for _, c in batch.feed_life.values()]
    if feed_causes or batch.watermarks:
        mark(await store.held_lines(), feed_causes[-1] if feed_causes else None)
    return dirty, bool(kept.lines or kept.relinked)


def _needs_step(batch: Batch, kept: _Kept) -> bool:
    """Whether anything kept may change a decision (so the step runs and its epoch is
    recorded); a batch of stale versions, or watermarks while no line waits, changes none."""
    return bool(
        kept.lines
        or kept.relinked
        or kept.notifications
        or batch.arrivals
        or batch.eta_updates
        or batch.feed_statuses
        or kept.life_matters
        or batch.due
    )


async def apply(batch: Batch, store: Store, clock: Clock, settings: Settings) -> Applied:
    """The unit of work's inputs kept, the lines they affect decided, the changed decisions
    kept and returned to be published. The caller commits (or, in memory, nothing to do)."""
    now = clock()
    kept = await _keep(batch, store, now)
    if not _needs_step(batch, kept) and not (batch.watermarks and await store.any_held()):
        return Applied()
    # A batch of lines alone is read and decided before the lock and checked under it
    # (docs/matcher-layers.md, "Concurrency"); an input that looks up the lines it affects
    # does so under the lock: looked up earlier, a line stored by a concurrent transaction is
    # missed.
    mark = await store.begin_optimistic() if batch.lines_only else None
    if mark is None:
        await store.serialise()
    dirty, expand = await _affected(batch, kept, store)
    stored, decided = await _decide(store, dirty, expand, now, settings)
    mode = "locked"
    if mark is not None:
        await store.serialise()
        mode = "checked"
        if await store.changed_since(mark):
            mode = "redone"
            now = clock()
            stored, decided = await _decide(store, dirty, expand, now, settings)
    changed = [d for d in decided if d.evaluation.changed]
    # An unchanged decision may still wait for another deadline, be held no more, or have
    # another ETA.
    rescheduled = [d for d in decided if not d.evaluation.changed and stored.get(d.key) != d.row]
    await store.save_decisions(DecisionStep(decided, changed, rescheduled, now))
    await store.record_epoch()
    return Applied([(d.evaluation.decision, dirty.get(d.key)) for d in changed], mode)


async def _decide(
    store: Store, dirty: dict[LineKey, Cause], expand: bool, now: datetime, settings: Settings
) -> tuple[dict[LineKey, DecisionRow], list[Decided]]:
    """The dirty lines decided, with the rows stored before."""
    if not dirty:
        return {}, []
    state = await load_state(
        store,
        set(dirty),
        await store.indicator_set(),
        expand=expand,
        awaits_watermark=settings.awaits_watermark,
    )
    rows = {key: known.row for key, known in state.stored.items()}
    return rows, await evaluate_lines(store, state, now)


@dataclass(frozen=True)
class DueDecided:
    applied: Applied
    lines: int  # how many were due


async def decide_due(
    store: Store, clock: Clock, settings: Settings, limit: int | None
) -> DueDecided:
    """The lines whose deadline has passed (lead time, arrival plus grace), decided again.
    The lock first: a step holding it may be writing those decision rows, and waiting for
    them while it waits for this one would be a deadlock."""
    await store.serialise()
    due = await store.due_lines(clock(), limit)
    applied = await apply(Batch(due=due), store, clock, settings) if due else Applied()
    return DueDecided(applied, len(due))


async def dry_run(
    store: Store, key: LineKey, now: datetime, indicators: IndicatorSet, settings: Settings
) -> Decided | None:
    """The decision the line would get now under these indicators, without keeping it."""
    state = await load_state(
        store, {key}, indicators, expand=False, awaits_watermark=settings.awaits_watermark
    )
    if key not in state.lines:
        return None
    [decided] = await evaluate_lines(store, state, now, every_line=True)
    return decided
