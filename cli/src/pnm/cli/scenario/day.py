"""Seeded days at Dutch entry points, with the ground truth of every manifest line.

A day is a replay file (contracts.md): the manifests of a few vessel calls at Rotterdam or
flights at Schiphol, the pre-notifications of their importers, ETA updates, arrivals and the
health of the pre-notification feeds, as received up to the end of the day; and the status the
matcher should give every manifest line at that moment. The generator first decides what is
true (which pre-notification covers which line, whether it was made in time, which one only
looks like it does) and then writes the records the way real parties write them: container
numbers with a typo, company names spelt differently, HS codes missing, amendments,
cancellations, a feed that goes down. The expected statuses follow from those intentions
(truth.py), never from matching the records.

The parts, each over the day's shared scene (plan.py) and in this order: the world (world.py:
calls; consignments.py: what each line carries), the families' lines (families.py), the cases
(cases.py: each pre-notification's story; keys.py: how it is keyed; feeds.py: how it is
delivered), the manifest records (manifest.py) and the truth (truth.py). Writing the files and
the counts is output.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.cases import Notifier
from pnm.cli.scenario.consignments import Consignments
from pnm.cli.scenario.families import FamilyPlanner, family_lines
from pnm.cli.scenario.feeds import Feeds, draw_outage
from pnm.cli.scenario.keys import Keys
from pnm.cli.scenario.manifest import Manifest
from pnm.cli.scenario.plan import Call, DayKind, DayOptions, OutageKind, PlannedLine, Scene
from pnm.cli.scenario.truth import Claimant, DayFacts, LineTruth, RegimeFacts, expected_statuses
from pnm.cli.scenario.world import World
from pnm.shared.contracts.records import Mode, Regime


@dataclass(frozen=True)
class Day:
    events: list[ScenarioEvent]
    expected: list[dict[str, str]]
    facts: DayFacts
    situations: dict[str, int]  # how often each deliberate situation was written


class _DayBuilder:
    """Makes one day from its parts, in the order that gives a seed its one day."""

    def __init__(
        self,
        kind: DayKind,
        seed: int,
        base: date,
        lines: int,
        outage: OutageKind,
        options: DayOptions,
    ) -> None:
        # The families' lines replace ordinary ones: the day keeps its size.
        self.quotas = family_lines(options.families, lines)
        target = max(1, lines - sum(self.quotas.values()))
        self.day = day = Scene(kind, seed, base, lines, target, options)
        day.outage = draw_outage(day, outage)
        self.world, self.consignments, self.feeds = World(day), Consignments(day), Feeds(day)
        self.notifier = Notifier(day, Keys(day), self.feeds)
        self.manifest = Manifest(day)

    def build(self) -> Day:
        day, options = self.day, self.day.options
        calls = self.world.calls()
        if options.continuity is not None:
            self.world.keep_apart(calls, options.continuity)
        for call in calls:
            self.consignments.plan_lines(call)
        if options.families:
            self._plan_families(calls)
        for call in calls:
            self.notifier.notify_call(call)
        for call in calls:
            for line in call.lines:
                self.manifest.emit_line(line)
            self.manifest.emit_call(call)
        if options.feeds:
            self.feeds.emit_feeds()
        if options.continuity is not None:
            options.continuity.sequences = dict(self.notifier.sequences)
        day.events.sort(key=lambda event: event.time)
        outage = day.outage
        facts = DayFacts(
            now=day.end,
            lines=self._facts(calls),
            notices=dict(self.feeds.notices),
            emergencies=frozenset([outage.regime] if outage and not outage.restored_at else []),
        )
        return Day(day.events, expected_statuses(facts), facts, dict(sorted(day.seen.items())))

    def _plan_families(self, calls: list[Call]) -> None:
        """The families' lines and pre-notifications; ordinary lines make up any they left."""
        FamilyPlanner(self.day, self.consignments, self.notifier, self.quotas).plan(calls)
        calls[0].size += self.day.lines - sum(len(call.lines) for call in calls)
        self.consignments.plan_lines(calls[0])

    # The facts the expected statuses follow from.

    def _facts(self, calls: list[Call]) -> tuple[LineTruth, ...]:
        claims: dict[tuple[str, Regime], list[Claimant]] = defaultdict(list)
        for reference, coverage in self.feeds.coverage.items():
            for line, regime, fits in coverage:
                claims[(line.key, regime)].append(Claimant(reference, fits))
        return tuple(self._line_facts(line, claims) for call in calls for line in call.lines)

    def _line_facts(
        self, line: PlannedLine, claims: Mapping[tuple[str, Regime], list[Claimant]]
    ) -> LineTruth:
        assert line.final is not None
        return LineTruth(
            manifest_id=line.call.manifest_id,
            line_id=line.line_id,
            port=line.port or line.call.port,
            eta=line.call.eta,
            arrived=line.key in self.manifest.arrived,
            withdrawn=line.final.withdrawn,
            regimes=tuple(
                RegimeFacts(
                    regime=regime,
                    exempt=line.exempt(regime),
                    gross_kg=line.item(regime).gross_kg,
                    claims=tuple(claims.get((line.key, regime), [])),
                    wood=line.wood(regime),
                )
                for regime in line.regimes
            ),
            by_air=line.call.mode is Mode.AIR,
            family=line.family,
        )


ORDINARY = DayOptions()  # a single day, without families


def generate_day(
    kind: DayKind,
    seed: int,
    base: date,
    lines: int,
    outage: OutageKind = "none",
    options: DayOptions = ORDINARY,
) -> Day:
    """A day at Rotterdam (vessel calls) or Schiphol (flights) with `lines` manifest lines,
    ending at 21:50 Amsterdam time on `base`. `outage`: "ongoing" takes the VGC feed down from
    late morning to the end of the day, "recovered" takes Client Import down for a morning."""
    if lines < 1:
        raise ValueError("a day needs at least one manifest line")
    if not 0 <= options.controlled_share <= 1:
        raise ValueError("the controlled share is a fraction of the lines, from 0 to 1")
    return _DayBuilder(kind, seed, base, lines, outage, options).build()
