"""Seeded scenario days: deterministic, valid replay input, one honest expected status per line,
and the committed corpus is exactly what the generator writes today."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from scenario_corpus import (
    AMSTERDAM,
    CORPUS,
    DAYS,
    corpus_day,
    expected_of,
    latest,
    local,
    near,
    normal,
)

from pnm.cli.main import main
from pnm.cli.replay import RECORDS
from pnm.cli.scenario.catalogue import (
    CONTROLLED,
    UNCONTROLLED,
    UNSPECIFIED_DESCRIPTIONS,
    WORDED_CONTROLLED,
)
from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.truth import (
    STATUS_RANK,
    Claimant,
    DayFacts,
    LineTruth,
    Notice,
    RegimeFacts,
    lead_time_deadline,
    line_status,
)
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.decision import SEVERITY
from pnm.matcher.domain.goods_selection import read_goods
from pnm.shared.contracts.records import (
    DecisionStatus,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Regime,
)

AMBIGUOUS_HEADINGS = ("9406", "8432", "8433", "8436", "8701", "2106", "2208")


def _replay_lines(day: Day) -> list[str]:
    return [
        json.dumps(e.to_replay(), ensure_ascii=False, separators=(",", ":")) for e in day.events
    ]


# --- Determinism, validity, completeness -----------------------------------------------------


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    first = generate_day("schiphol", 7, date(2026, 6, 2), 150, "ongoing")
    again = generate_day("schiphol", 7, date(2026, 6, 2), 150, "ongoing")
    other = generate_day("schiphol", 8, date(2026, 6, 2), 150, "ongoing")
    assert _replay_lines(first) == _replay_lines(again)
    assert first.expected == again.expected
    assert _replay_lines(first) != _replay_lines(other)


@pytest.mark.parametrize("name", DAYS)
def test_every_event_validates_as_its_record_and_events_are_time_ordered(name: str) -> None:
    day = corpus_day(name)
    for event in day.events:
        replayed = json.loads(json.dumps(event.to_replay()))
        RECORDS[replayed["type"]].model_validate(replayed["data"])
        assert datetime.fromisoformat(replayed["time"]).tzinfo is not None
    times = [event.time for event in day.events]
    assert times == sorted(times)
    last = day.events[-1]
    assert isinstance(last.record, FeedStatus) and not last.record.emergency
    assert last.time == day.facts.now and times.count(last.time) == 1


@pytest.mark.parametrize("name", DAYS)
def test_every_manifest_line_has_exactly_one_expected_status(name: str) -> None:
    day = corpus_day(name)
    lines = {
        (e.record.manifest_id, e.record.line_id)
        for e in day.events
        if isinstance(e.record, ManifestLine)
    }
    keys = [(row["manifest_id"], row["line_id"]) for row in day.expected]
    assert len(keys) == len(set(keys)) == len(lines) == DAYS[name][3]
    assert set(keys) == lines
    assert keys == sorted(keys)


def test_every_status_appears_in_the_committed_corpus() -> None:
    statuses = {
        json.loads(row)["status"]
        for path in CORPUS.glob("*.expected.jsonl")
        for row in path.read_text().splitlines()
    }
    assert statuses == {status.value for status in DecisionStatus}


@pytest.mark.parametrize("name", DAYS)
def test_the_committed_corpus_is_what_the_cli_writes_now(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, seed, day, lines, outage = DAYS[name]
    events, expected = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.expected.jsonl"
    main(
        [
            "scenario",
            "--kind",
            kind,
            "--seed",
            str(seed),
            "--date",
            day,
            "--lines",
            str(lines),
            "--outage",
            outage,
            "--families",
            "all",
            "--output",
            str(events),
            "--expect",
            str(expected),
        ]
    )
    assert f"{lines} manifest lines" in capsys.readouterr().out
    assert events.read_bytes() == (CORPUS / events.name).read_bytes(), "regenerate the corpus"
    assert expected.read_bytes() == (CORPUS / expected.name).read_bytes(), "regenerate"


# --- The truth rules, on facts made by hand ---------------------------------------------------


def _line(
    *claims: Claimant,
    eta: datetime,
    arrived: bool = False,
    regime: Regime = Regime.VET,
    port: str = "NLRTM",
) -> LineTruth:
    facts = RegimeFacts(regime=regime, exempt=False, gross_kg=20_000.0, claims=claims)
    return LineTruth("M", "1", port, eta, arrived, False, (facts,))


def _status(line: LineTruth, now: datetime, *notices: Notice, emergency: bool = False) -> str:
    facts = DayFacts(
        now=now,
        lines=(line,),
        notices={n.reference: n for n in notices},
        emergencies=frozenset([Regime.VET] if emergency else []),
    )
    return line_status(line, facts).value


def test_kings_day_is_no_working_day_for_the_lead_time() -> None:
    # Tuesday 28 April 2026: Monday 27 is King's Day, so the notice is due on Friday 24.
    assert lead_time_deadline(local(28, 10), "NLRTM") == local(24, 10)
    assert lead_time_deadline(local(29, 10), "NLRTM") == local(28, 10)
    assert lead_time_deadline(local(28, 10), "NLSPL") == local(28, 6)  # 4 hours' notice


def test_a_notification_on_kings_day_for_a_tuesday_arrival_is_late() -> None:
    line = _line(Claimant("CHEDP.NL.2026.0000001", fits=True), eta=local(28, 10))
    on_holiday = Notice("CHEDP.NL.2026.0000001", local(27, 9), active=True)
    on_friday = Notice("CHEDP.NL.2026.0000001", local(24, 9), active=True)
    assert _status(line, local(27, 21), on_holiday) == "notified_late"
    assert _status(line, local(27, 21), on_friday) == "notified"


def test_without_a_notification_time_decides() -> None:
    eta = local(28, 10)
    assert _status(_line(eta=eta), local(23, 12)) == "awaiting_notification"
    assert _status(_line(eta=eta), local(27, 12)) == "overdue"
    assert _status(_line(eta=eta, arrived=True), local(27, 12)) == "unnotified"
    assert _status(_line(eta=eta), local(28, 16, 1)) == "unnotified"  # ETA + 6 hours


def test_a_vet_feed_emergency_holds_back_unnotified_and_overdue() -> None:
    arrived = _line(eta=local(27, 10), arrived=True)
    assert _status(arrived, local(27, 21), emergency=True) == "awaiting_notification"
    assert _status(_line(eta=local(28, 10)), local(27, 21), emergency=True) == (
        "awaiting_notification"
    )
    plants = _line(eta=local(27, 10), arrived=True, regime=Regime.PHYTO)
    assert _status(plants, local(27, 21), emergency=True) == "unnotified"


def test_cancelled_review_and_replacement_notifications() -> None:
    cancelled = Notice("A", local(20, 9), active=False)
    again = Notice("B", local(27, 20), active=True)
    partial = Notice("C", local(20, 9), active=True)
    eta, now = local(27, 10), local(27, 21)
    only_cancelled = _line(Claimant("A", fits=True), eta=eta, arrived=True)
    assert _status(only_cancelled, now, cancelled) == "invalid_notification"
    replaced = _line(Claimant("A", fits=True), Claimant("B", fits=True), eta=eta, arrived=True)
    assert _status(replaced, now, cancelled, again) == "notified_late"
    assert _status(_line(Claimant("C", fits=False), eta=eta), now, partial) == "review"


def test_the_most_severe_regime_decides_a_mixed_line() -> None:
    eta, now = local(27, 10), local(27, 21)
    plants = RegimeFacts(Regime.PHYTO, False, 5_000.0, (Claimant("P", fits=True),))
    meat = RegimeFacts(Regime.VET, False, 15_000.0, ())
    line = LineTruth("M", "1", "NLRTM", eta, True, False, (plants, meat))
    facts = DayFacts(now, (line,), {"P": Notice("P", local(20, 9), True)}, frozenset())
    assert line_status(line, facts) is DecisionStatus.UNNOTIFIED
    withdrawn = LineTruth("M", "1", "NLRTM", eta, True, True, (plants, meat))
    assert line_status(withdrawn, facts) is DecisionStatus.NOT_CONTROLLED


# --- The corpus days contain what they claim to ----------------------------------------------


def test_kings_day_notifications_of_tuesday_arrivals_are_late() -> None:
    day = corpus_day("rotterdam-2026-04-27")
    expected = expected_of(day)
    late_on_holiday = [
        line
        for line in day.facts.lines
        for regime in line.regimes
        for claim in regime.claims
        if line.eta.astimezone(AMSTERDAM).date() == date(2026, 4, 28)
        and not line.withdrawn  # a withdrawn line is not controlled, whatever notified it
        and (notice := day.facts.notices[claim.reference]).active
        and claim.fits
        and notice.submitted_at.astimezone(AMSTERDAM).date() == date(2026, 4, 27)
        and notice.submitted_at < line.eta - timedelta(days=1)  # in time if Monday counted
    ]
    assert late_on_holiday
    assert all(expected[(x.manifest_id, x.line_id)] == "notified_late" for x in late_on_holiday)


def test_the_ongoing_vgc_outage_keeps_arrived_vet_lines_awaiting() -> None:
    day = corpus_day("rotterdam-2026-04-27")
    assert day.facts.emergencies == frozenset([Regime.VET])
    expected = expected_of(day)
    held_back = [
        line
        for line in day.facts.lines
        if line.arrived
        and not line.withdrawn
        and [r.regime for r in line.regimes] == [Regime.VET]
        and not line.regimes[0].exempt
        and not line.regimes[0].claims
    ]
    assert held_back
    assert {expected[(x.manifest_id, x.line_id)] for x in held_back} == {"awaiting_notification"}


def test_the_recovered_outage_leaves_no_emergency_and_delivers_the_backlog() -> None:
    day = corpus_day("schiphol-2026-03-11")
    assert day.facts.emergencies == frozenset()
    feed = [
        e.record
        for e in day.events
        if isinstance(e.record, FeedStatus) and e.record.system == "client-import" and e.record.note
    ]
    assert [status.emergency for status in feed] == [True, False, False]
    assert day.situations["pre-notification delivered from the backlog when the feed recovered"]


# --- The records realise the generator's intentions honestly ---------------------------------


def test_goods_wording_and_codes_leave_no_doubt_about_the_regime() -> None:
    def selected(text: str) -> set[Regime]:
        """The regimes the matcher selects the words for (goods recognition, sure readings)."""
        return {r.regime for r in read_goods(text, shipped_indicator_set()) if r.certain}

    for goods in UNCONTROLLED:
        assert not any(selected(d) for d in goods.descriptions), goods.name
    assert not any(selected(d) for d in UNSPECIFIED_DESCRIPTIONS)
    for goods in CONTROLLED:
        assert goods.hs_code[:4] not in AMBIGUOUS_HEADINGS
        assert not "1704" <= goods.hs_code[:4] <= "2008"
        if not goods.certificate_exempt:  # these always carry an HS code
            assert all(selected(d) == {goods.regime} for d in goods.descriptions), goods.name


def _shares_a_key(notification: PreNotification, line: ManifestLine) -> bool:
    strong = (
        any(near(a, b) for a in notification.containers for b in line.containers)
        or (
            notification.transport_document is not None
            and near(notification.transport_document, line.transport_document.number)
        )
        or any(normal(notification.reference) == normal(q) for q in line.document_references)
    )
    if strong or notification.containers or notification.transport_document:
        return strong
    same_call = (notification.vessel_imo or notification.flight_number) in (
        line.vessel_imo,
        line.flight_number,
    )
    return same_call and notification.importer.eori == line.consignee.eori


@pytest.mark.parametrize("name", DAYS)
def test_notifications_touch_exactly_the_lines_the_truth_says(name: str) -> None:
    """Keys (with one typo at most), goods, weight and arrival agree where a notification is
    meant to cover a line, and no notification reaches a controlled line it was not meant for."""
    day = corpus_day(name)
    lines, notifications = latest(day)
    claimed: dict[str, dict[str, tuple[LineTruth, RegimeFacts, bool]]] = defaultdict(dict)
    for facts in day.facts.lines:
        for regime in facts.regimes:
            for claim in regime.claims:
                key = f"{facts.manifest_id}/{facts.line_id}"
                claimed[claim.reference][key] = (facts, regime, claim.fits)
    regimes = {f"{f.manifest_id}/{f.line_id}": f.regimes for f in day.facts.lines}
    for reference, notification in notifications.items():
        notified = Regime.PHYTO if notification.ched_type.value == "CHED-PP" else Regime.VET
        touched = {
            key
            for key, line in lines.items()
            if any(r.regime is notified for r in regimes[key]) and _shares_a_key(notification, line)
        }
        assert touched == set(claimed[reference]), reference
        net = sum(c.net_mass_kg for c in notification.commodities)
        gross = sum(facts[1].gross_kg for facts in claimed[reference].values())
        for key, (facts, _, fits) in claimed[reference].items():
            assert abs(notification.expected_arrival - facts.eta) < timedelta(days=3)
            if fits:
                assert not _other_goods(notification, lines[key]), (reference, key)
                assert 0.6 <= net / gross <= 1.05, (reference, key)
            else:  # review: clearly other goods, a fraction of the weight, or lines that each
                # fit it alone but together over-use it
                each_fits = len(claimed[reference]) > 1 and all(
                    0.6 <= net / other[1].gross_kg <= 1.05 for other in claimed[reference].values()
                )
                assert _other_goods(notification, lines[key]) or net / gross < 0.3 or each_fits


GENERIC_WORDS = {"fresh", "frozen", "chilled", "whole", "natural", "cut", "fillet"}


def _words(text: str) -> set[str]:
    """Content words, singular: mangoes and mango, roses and rose are the same word."""
    words = re.findall(r"[a-z]{3,}", text.lower())
    return {w[:-2] if w.endswith("oes") else w.removesuffix("s") for w in words} - GENERIC_WORDS


def _other_goods(notification: PreNotification, line: ManifestLine) -> bool:
    """Another HS chapter than every coded item, and no word in common with uncoded ones (or,
    for words the catalogue knows in five languages, another chapter than theirs)."""
    notified = notification.commodities[0]
    return all(
        notified.cn_code[:2] != (WORDED_CHAPTERS.get(item.description) or item.hs_code or "")[:2]
        if item.description in WORDED_CHAPTERS or item.hs_code
        else not _words(notified.description) & _words(item.description)
        for item in line.goods
    )


WORDED_CHAPTERS = {d: g.hs_code[:2] for g in WORDED_CONTROLLED for d in g.descriptions}


def test_the_truth_ranks_statuses_as_the_matcher_does() -> None:
    """The truth keeps its own ranking (it is what the matcher is judged against); when either
    changes, this fails and a person decides which one is right."""
    assert list(STATUS_RANK) == sorted(SEVERITY, key=SEVERITY.__getitem__)
