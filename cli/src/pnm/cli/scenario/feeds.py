"""The pre-notification feeds of a generated day (Client Import and VGC): a version goes through
them, is delayed to the backlog, lost, or entered by hand from a written notification while
its feed is down; and the feeds' hourly heartbeats and declared emergencies."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Literal

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.plan import (
    END_OF_DAY,
    CoveredLines,
    Outage,
    OutageKind,
    PlannedVersion,
    Scene,
)
from pnm.cli.scenario.truth import Notice
from pnm.shared.calendar import AMSTERDAM
from pnm.shared.contracts.records import ACTIVE_STATUSES, FeedStatus, PreNotification, Regime

PRENOTIFICATION_FEEDS: tuple[Literal["client-import", "vgc"], ...] = ("client-import", "vgc")


def draw_outage(day: Scene, kind: OutageKind) -> Outage | None:
    """The feed that goes silent during the day, if any."""
    if kind == "none":
        return None
    if kind == "ongoing":  # VGC goes down in the morning and stays down
        silent = day.local(0, day.rng.randrange(8 * 60 + 30, 10 * 60))
        declared = silent + timedelta(minutes=day.rng.randrange(30, 60))
        return Outage("vgc", Regime.VET, silent, declared, None)
    silent = day.local(0, day.rng.randrange(7 * 60, 8 * 60))  # Client Import, a morning
    declared = silent + timedelta(minutes=day.rng.randrange(35, 70))
    restored = declared + timedelta(minutes=day.rng.randrange(150, 260))
    return Outage("client-import", Regime.PHYTO, silent, declared, restored)


class Feeds:
    """Delivers pre-notification versions and writes the feeds' health."""

    def __init__(self, day: Scene) -> None:
        self.day = day
        self.notices: dict[str, Notice] = {}  # per reference, as it stands at the end
        self.coverage: dict[str, CoveredLines] = {}  # per reference, of its latest version
        self.backlog = 0

    def deliver(self, versions: list[PlannedVersion]) -> None:
        """Through the feed: lost, delayed or entered by hand while it is down; nothing after
        the end of the day. The truth follows the latest version that came through."""
        last: PlannedVersion | None = None
        for index, version in enumerate(versions):
            delivered = self._through_feed(version, first=index == 0)
            if delivered is None:
                break
            if last is not None:
                delivered.at = max(delivered.at, last.at + timedelta(seconds=1))
            self.day.events.append(ScenarioEvent("prenotification", delivered.at, delivered.record))
            last = delivered
            if delivered.record.system == "written":
                break  # later versions of a written notification stay on paper
        if last is None:
            return
        record = last.record
        self.notices[record.reference] = Notice(
            record.reference, record.submitted_at, record.status in ACTIVE_STATUSES
        )
        self.coverage[record.reference] = last.claims

    def _through_feed(self, version: PlannedVersion, first: bool) -> PlannedVersion | None:
        outage, at = self.day.outage, version.at
        if at > self.day.end - timedelta(minutes=2):
            return None
        if outage is None or version.record.system != outage.system or at < outage.silent_from:
            return version
        if outage.restored_at and at >= outage.restored_at:
            return version
        if first and self.day.chance(0.5):  # the importer sends it by e-mail instead
            written_at = version.record.submitted_at + timedelta(
                minutes=self.day.rng.randint(20, 90)
            )
            if written_at > self.day.end - timedelta(minutes=2):
                return None
            self.day.seen["written pre-notification entered during the outage"] += 1
            record = version.record.model_copy(
                update={"system": "written", "entered_by": "nvwa-noodprocedure"}
            )
            return PlannedVersion(written_at, record, version.claims)
        if outage.restored_at is None:
            self.day.seen["pre-notification not received: feed down"] += 1
            return None
        self.backlog += 1
        self.day.seen["pre-notification delivered from the backlog when the feed recovered"] += 1
        restored = outage.restored_at + timedelta(seconds=self.backlog)
        return PlannedVersion(restored, version.record, version.claims)

    def emit_feeds(self) -> None:
        received: dict[str, list[datetime]] = defaultdict(list)
        for event in [*self.day.events, *self.day.options.feeds_also_carried]:
            if isinstance(event.record, PreNotification):
                received[event.record.system].append(event.time)

        def beat(system: Literal["client-import", "vgc"], at: datetime, **extra: object) -> None:
            status = FeedStatus(
                system=system,
                last_record_at=max((t for t in received[system] if t <= at), default=None),
                last_heartbeat_at=at,
                emergency=False,
                at=at,
            )
            event = ScenarioEvent("prenotification.feed", at, status.model_copy(update=extra))
            self.day.events.append(event)

        hourly = [self.day.local(0, 60 * hour) for hour in range(END_OF_DAY.hour + 1)]
        for at in hourly:
            for system in PRENOTIFICATION_FEEDS:
                if not self._feed_silent(system, at):
                    beat(system, at)
        outage = self.day.outage
        if outage:
            silent_since = outage.silent_from.astimezone(AMSTERDAM)
            beat(
                outage.system,
                outage.declared_at,
                emergency=True,
                emergency_since=outage.declared_at,
                emergency_declared_by="NVWA duty officer",
                last_heartbeat_at=max(at for at in hourly if at < outage.silent_from),
                note=f"{outage.system} silent since {silent_since:%H:%M}; written "
                "pre-notifications accepted",
            )
            self.day.seen[f"{outage.system} emergency declared"] += 1
            if outage.restored_at:
                restored = outage.restored_at + timedelta(seconds=self.backlog + 1)
                beat(outage.system, restored, note="feed restored, backlog delivered")
                self.day.seen[f"{outage.system} emergency ended"] += 1
        beat("client-import", self.day.end, note="end of day")

    def _feed_silent(self, system: str, at: datetime) -> bool:
        outage = self.day.outage
        if outage is None or outage.system != system or at < outage.silent_from:
            return False
        return outage.restored_at is None or at < outage.restored_at
