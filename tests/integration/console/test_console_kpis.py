"""The overview's KPIs on a real PostgreSQL: the console in-process, its read model fed the
services' events with known times (a fixed clock), then the figures read back through
kpi_views.py and the overview page (docs/kpis.md)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from infra import bearer

from pnm.cli.postgres import free_port
from pnm.cli.services import ALL
from pnm.console import kpi_views
from pnm.console.domain.kpis import NONE, Share, TerminalHolds
from pnm.shared.case_outcomes import IndicatorOutcomes
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import (
    Arrival,
    Authority,
    CaseChanged,
    Decision,
    DecisionStatus,
    FeedStatus,
    HoldStateChanged,
    Record,
    Regime,
)
from pnm.shared.contracts.topics import (
    CASES,
    DECISIONS,
    FEEDS,
    HOLD_STATES,
    MANIFEST_ARRIVALS,
    MANIFEST_LINES,
    EventType,
)
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
D = DecisionStatus
H = timedelta(hours=1)
ADMIN = bearer("admin", subject="admin-1")
_offsets = itertools.count()


@dataclass
class Console:
    pipeline: Pipeline
    client: httpx.AsyncClient

    async def feed(self, topic: str, kind: str, subject: str, record: Record) -> None:
        event = new_event(type=kind, source="/test", subject=subject, record=record)
        processor = self.pipeline.services["console"].processor
        assert processor is not None
        message = IncomingMessage(topic, 0, next(_offsets), None, event.to_json())
        await processor.process([message])

    async def line(
        self, manifest: str, line: str, bcp: str = "NLRTM", eta: datetime = NOW + 10 * H
    ) -> None:
        declared = manifest_line(
            manifest,
            line,
            hs_code="020130",
            description="frozen beef",
            containers=[],
            eta=eta,
            port_of_discharge=bcp,
        )
        await self.feed(MANIFEST_LINES.name, EventType.MANIFEST_LINE_DECLARED, line, declared)

    async def decide(
        self,
        manifest: str,
        line: str,
        status: DecisionStatus,
        at: datetime,
        number: int = 1,
        regime: Regime = Regime.VET,
    ) -> None:
        decided = Decision(
            manifest_id=manifest,
            line_id=line,
            line_version=1,
            decision_number=number,
            status=status,
            regimes=[regime],
            per_regime=[],
            references=[],
            reasons=[],
            explanation=[],
            indicator_set_version="test",
            decided_at=at,
        )
        await self.feed(DECISIONS.name, EventType.DECISION_CHANGED, line, decided)

    async def arrive(self, manifest: str, at: datetime) -> None:
        arrived = Arrival(manifest_id=manifest, arrived_at=at)
        await self.feed(MANIFEST_ARRIVALS.name, EventType.ARRIVAL, manifest, arrived)

    async def hold(self, hold_id: str, terminal: str, state: str, at: datetime) -> None:
        changed = HoldStateChanged(
            hold_id=hold_id,
            manifest_id="HOLDS",
            line_id=hold_id,
            regime=Regime.VET,
            authority=Authority.NVWA,
            state=state,
            terminal=terminal,
            containers=[container(1)],
            at=at,
        )
        await self.feed(HOLD_STATES.name, EventType.HOLD_STATE_CHANGED, hold_id, changed)

    async def case(
        self, case_id: str, indicators: list[str], outcome: str | None, at: datetime
    ) -> None:
        opened = CaseChanged(
            case_id=case_id,
            manifest_id="CASES",
            line_id=case_id,
            state="open",
            action="opened",
            references=[],
            indicators=indicators,
            at=at - H,
            by="holds",
        )
        await self.feed(CASES.name, EventType.CASE_OPENED, case_id, opened)
        if outcome:
            closed = opened.model_copy(
                update={"state": "closed", "action": "closed", "outcome": outcome, "at": at}
            )
            await self.feed(CASES.name, EventType.CASE_CLOSED, case_id, closed)

    async def kpis(self, scope: Authority | None = None) -> kpi_views.Kpis:
        async with self.pipeline.engine.connect() as conn:
            return await kpi_views.kpis(conn, NOW, 168, 24, scope)


@pytest.fixture
async def console(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:
    # No service answers there: the reconciliation shows "did not answer", never "no gaps".
    monkeypatch.setenv("PNM_CONSOLE_API_URL", f"http://127.0.0.1:{free_port()}")
    async with Pipeline(
        [ALL["console"]], database_url=database_url, transport="inprocess", clock=lambda: NOW
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            yield Console(pipeline, client)


async def test_share_notified_in_time_and_how_early_we_warn(console: Console) -> None:
    await console.line("M1", "1")
    await console.decide("M1", "1", D.NOTIFIED, NOW - 2 * H)
    await console.line("M1", "2")
    await console.decide("M1", "2", D.NOTIFIED_LATE, NOW - 3 * H)
    # Flagged 10 h before it arrived (then notified late: the first warning stays).
    await console.line("M1", "3")
    await console.decide("M1", "3", D.UNNOTIFIED, NOW - 14 * H)
    await console.arrive("M1", NOW - 4 * H)
    # Flagged overdue 48 h before its ETA; not arrived yet.
    await console.line("M2", "1", bcp="NLAMS", eta=NOW + 18 * H)
    await console.decide("M2", "1", D.OVERDUE, NOW - 30 * H)
    # Flagged only after it arrived (decision before the line: either order works).
    await console.decide("M3", "1", D.UNNOTIFIED, NOW - 1 * H)
    await console.line("M3", "1", bcp="NLAMS")
    await console.arrive("M3", NOW - 3 * H)
    # Not settled yet, not controlled, or outside the week: not counted.
    await console.line("M2", "2", bcp="NLAMS")
    await console.decide("M2", "2", D.AWAITING_NOTIFICATION, NOW - 1 * H)
    await console.decide("M2", "3", D.NOT_CONTROLLED, NOW - 1 * H)
    await console.decide("M4", "1", D.NOTIFIED, NOW - 200 * H)
    await console.decide("M4", "2", D.UNNOTIFIED, NOW - 200 * H)
    # A phyto line: counted for everyone but the NVWA's inspectors.
    await console.decide("M5", "1", D.NOTIFIED, NOW - 1 * H, regime=Regime.PHYTO)

    kpis = await console.kpis()
    # Settled: M1/1 notified, M1/2 late, M1/3 unnotified, M2/1 overdue, M3/1 unnotified, M5/1.
    assert kpis.notified.total == Share(2, 6)
    assert kpis.notified.by_bcp == [
        (NONE, Share(1, 1)),  # M5/1: no manifest line seen yet
        ("NLAMS", Share(0, 2)),
        ("NLRTM", Share(1, 3)),
    ]
    # Ahead of arrival: M1/3 10 h, M2/1 48 h, M3/1 -2 h: the median 10 h; one after arrival.
    assert (kpis.warning.median_hours, kpis.warning.lines) == (10.0, 3)
    assert kpis.warning.after_arrival == 1

    vet = await console.kpis(Authority.NVWA)
    assert vet.notified.total == Share(1, 5)
    assert (await console.kpis(Authority.PD)).notified.total == Share(1, 1)


async def test_holds_per_terminal_and_time_to_acknowledgement(console: Console) -> None:
    for hold_id, minutes in (("H1", 10), ("H2", 30), ("H3", 90)):
        await console.hold(hold_id, "ECTDELTA", "instructed", NOW - 5 * H)
        await console.hold(hold_id, "ECTDELTA", "acknowledged", NOW - 5 * H + minutes * H / 60)
    # Acknowledged twice: the first acknowledgement counts. Then released: still this terminal's.
    await console.hold("H1", "ECTDELTA", "acknowledged", NOW - 1 * H)
    await console.hold("H1", "ECTDELTA", "released", NOW - 1 * H)
    await console.hold("H4", "APMII", "instructed", NOW - 2 * H)  # not answered yet
    await console.hold("H5", "", "unaddressed", NOW - 2 * H)
    await console.hold("H6", "APMII", "instructed", NOW - 300 * H)  # before the week

    kpis = await console.kpis()
    assert kpis.terminals == [
        TerminalHolds("ECTDELTA", 3, 3, 30 * 60.0),
        TerminalHolds(NONE, 1, 0, None),  # no terminal ("") sorts first
        TerminalHolds("APMII", 1, 0, None),
    ]
    assert (await console.kpis(Authority.PD)).terminals == []  # the holds are veterinary


async def test_case_outcomes_per_indicator(console: Console) -> None:
    await console.case("C1", ["cn:0201"], "not_controlled", NOW - 1 * H)
    await console.case("C2", ["cn:0201", "keyword:beef"], "handed_to_authority", NOW - 2 * H)
    await console.case("C3", [], "handed_to_authority", NOW - 2 * H)
    await console.case("C4", ["keyword:beef"], "bilateral_agreement", NOW - 3 * H)
    await console.case("C5", ["cn:0201"], None, NOW - 1 * H)  # open: not counted
    await console.case("C6", ["cn:0201"], "not_controlled", NOW - 300 * H)  # before the week

    kpis = await console.kpis()
    assert kpis.indicators == [
        IndicatorOutcomes("cn:0201", {"handed_to_authority": 1, "not_controlled": 1}),
        IndicatorOutcomes("keyword:beef", {"bilateral_agreement": 1, "handed_to_authority": 1}),
        IndicatorOutcomes(NONE, {"handed_to_authority": 1}),
    ]
    assert [i.false_positive_rate for i in kpis.indicators] == [0.5, 0.5, 0.0]


async def test_decisions_per_hour_of_the_last_day(console: Console) -> None:
    ten = NOW.replace(minute=0)
    await console.decide("D1", "1", D.NOTIFIED, ten + timedelta(minutes=5))
    await console.decide("D1", "1", D.NOTIFIED_LATE, ten + timedelta(minutes=25), number=2)
    await console.decide("D1", "2", D.UNNOTIFIED, ten - 3 * H + timedelta(minutes=59))
    await console.decide("D1", "3", D.UNNOTIFIED, ten - 24 * H)  # the hour before the chart

    hours = (await console.kpis()).decisions
    assert len(hours) == 24
    assert hours[0][0] == ten - 23 * H and hours[-1] == (ten, 2)
    assert dict(hours)[ten - 3 * H] == 1
    assert sum(n for _, n in hours) == 3


async def test_overview_page_shows_the_figures_charts_and_quiet_feed(console: Console) -> None:
    await console.line("P1", "1", bcp="NLAMS")  # expected in 10 h
    await console.decide("P1", "1", D.NOTIFIED, NOW - 1 * H)
    await console.decide("P1", "2", D.UNNOTIFIED, NOW - 1 * H)
    await console.hold("P-H1", "ECTDELTA", "instructed", NOW - 2 * H)
    await console.case("P-C1", ["cn:0201"], "not_controlled", NOW - 1 * H)
    for system, alive in (("vgc", NOW - 2 * H), ("client-import", NOW - 5 * H / 60)):
        beat = FeedStatus(
            system=system, last_record_at=None, last_heartbeat_at=alive, emergency=False, at=alive
        )
        await console.feed(FEEDS.name, EventType.FEED_HEARTBEAT, system, beat)

    overview = await console.client.get("/console/", headers=ADMIN)
    assert overview.status_code == 200, overview.text
    html = overview.text
    assert "50.0 %" in html  # one of two settled lines notified in time
    charts = ("arrivals", "holds-per-terminal", "outcomes-per-indicator", "decisions-per-hour")
    for chart in charts:
        assert f'id="chart-{chart}-title"' in html
    assert "Feed vgc quiet since 2026-12-07 08:30" in html
    assert "Feed client-import quiet" not in html
    # Nobody answers at the services' address: said so, not taken for "no gaps".
    assert html.count('data-status="unreachable"') == 2 and "No gaps" not in html

    # The live fragments: nothing to swap while the figures are the same.
    seen: dict[str, str] = {}
    for fragment in ("overview/kpis", "banner", "overview/live"):
        first = await console.client.get(f"/console/{fragment}", headers=ADMIN)
        assert first.status_code == 200
        seen[fragment] = first.text.split(f"/{fragment}?seen=")[1].split('"')[0]
        again = await console.client.get(
            f"/console/{fragment}", params={"seen": seen[fragment]}, headers=ADMIN
        )
        assert again.status_code == 204
    await console.decide("P1", "3", D.NOTIFIED, NOW - 1 * H)
    changed = await console.client.get(
        "/console/overview/kpis", params={"seen": seen["overview/kpis"]}, headers=ADMIN
    )
    assert changed.status_code == 200 and "66.7 %" in changed.text
