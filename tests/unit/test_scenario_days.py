"""Seeded scenario days: deterministic, valid replay input, one honest expected status per line,
and the committed corpus is exactly what the generator writes today."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pnm.cli.main import main
from pnm.cli.replay import RECORDS
from pnm.cli.scenario_catalogue import (
    CONTROLLED,
    UNCONTROLLED,
    UNSPECIFIED_DESCRIPTIONS,
    WORDED_CONTROLLED,
    WORDED_INNOCENT,
)
from pnm.cli.scenario_days import (
    Claim,
    Day,
    DayFacts,
    DayOptions,
    Kind,
    LineTruth,
    Notice,
    OutageKind,
    RegimeFacts,
    generate_day,
    lead_time_deadline,
    line_status,
)
from pnm.cli.scenario_families import FAMILIES, check_digit_transpositions
from pnm.cli.scenarios import container
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.goods_selection import read_goods
from pnm.shared.contracts.records import (
    DecisionStatus,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Regime,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CORPUS = Path(__file__).parents[1] / "data" / "corpus"
# name: (kind, seed, date, lines, outage), as tests/data/corpus/README.md regenerates them (with
# every issue-16 family)
DAYS: dict[str, tuple[Kind, int, str, int, OutageKind]] = {
    "rotterdam-2026-03-10": ("rotterdam", 1, "2026-03-10", 1500, "none"),
    "schiphol-2026-03-11": ("schiphol", 2, "2026-03-11", 800, "recovered"),
    "rotterdam-2026-04-27": ("rotterdam", 3, "2026-04-27", 1000, "ongoing"),
}
AMBIGUOUS_HEADINGS = ("9406", "8432", "8433", "8436", "8701", "2106", "2208")


@cache
def corpus_day(name: str) -> Day:
    kind, seed, day, lines, outage = DAYS[name]
    options = DayOptions(families=frozenset(FAMILIES))
    return generate_day(kind, seed, date.fromisoformat(day), lines, outage, options)


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


def _local(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM).astimezone(UTC)


def _line(
    *claims: Claim,
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
    assert lead_time_deadline(_local(28, 10), "NLRTM") == _local(24, 10)
    assert lead_time_deadline(_local(29, 10), "NLRTM") == _local(28, 10)
    assert lead_time_deadline(_local(28, 10), "NLSPL") == _local(28, 6)  # 4 hours' notice


def test_a_notification_on_kings_day_for_a_tuesday_arrival_is_late() -> None:
    line = _line(Claim("CHEDP.NL.2026.0000001", fits=True), eta=_local(28, 10))
    on_holiday = Notice("CHEDP.NL.2026.0000001", _local(27, 9), active=True)
    on_friday = Notice("CHEDP.NL.2026.0000001", _local(24, 9), active=True)
    assert _status(line, _local(27, 21), on_holiday) == "notified_late"
    assert _status(line, _local(27, 21), on_friday) == "notified"


def test_without_a_notification_time_decides() -> None:
    eta = _local(28, 10)
    assert _status(_line(eta=eta), _local(23, 12)) == "awaiting_notification"
    assert _status(_line(eta=eta), _local(27, 12)) == "overdue"
    assert _status(_line(eta=eta, arrived=True), _local(27, 12)) == "unnotified"
    assert _status(_line(eta=eta), _local(28, 16, 1)) == "unnotified"  # ETA + 6 hours


def test_a_vet_feed_emergency_holds_back_unnotified_and_overdue() -> None:
    arrived = _line(eta=_local(27, 10), arrived=True)
    assert _status(arrived, _local(27, 21), emergency=True) == "awaiting_notification"
    assert _status(_line(eta=_local(28, 10)), _local(27, 21), emergency=True) == (
        "awaiting_notification"
    )
    plants = _line(eta=_local(27, 10), arrived=True, regime=Regime.PHYTO)
    assert _status(plants, _local(27, 21), emergency=True) == "unnotified"


def test_cancelled_review_and_replacement_notifications() -> None:
    cancelled = Notice("A", _local(20, 9), active=False)
    again = Notice("B", _local(27, 20), active=True)
    partial = Notice("C", _local(20, 9), active=True)
    eta, now = _local(27, 10), _local(27, 21)
    only_cancelled = _line(Claim("A", fits=True), eta=eta, arrived=True)
    assert _status(only_cancelled, now, cancelled) == "invalid_notification"
    replaced = _line(Claim("A", fits=True), Claim("B", fits=True), eta=eta, arrived=True)
    assert _status(replaced, now, cancelled, again) == "notified_late"
    assert _status(_line(Claim("C", fits=False), eta=eta), now, partial) == "review"


def test_the_most_severe_regime_decides_a_mixed_line() -> None:
    eta, now = _local(27, 10), _local(27, 21)
    plants = RegimeFacts(Regime.PHYTO, False, 5_000.0, (Claim("P", fits=True),))
    meat = RegimeFacts(Regime.VET, False, 15_000.0, ())
    line = LineTruth("M", "1", "NLRTM", eta, True, False, (plants, meat))
    facts = DayFacts(now, (line,), {"P": Notice("P", _local(20, 9), True)}, frozenset())
    assert line_status(line, facts) is DecisionStatus.UNNOTIFIED
    withdrawn = LineTruth("M", "1", "NLRTM", eta, True, True, (plants, meat))
    assert line_status(withdrawn, facts) is DecisionStatus.NOT_CONTROLLED


# --- The corpus days contain what they claim to ----------------------------------------------


def _expected(day: Day) -> dict[tuple[str, str], str]:
    return {(row["manifest_id"], row["line_id"]): row["status"] for row in day.expected}


def test_kings_day_notifications_of_tuesday_arrivals_are_late() -> None:
    day = corpus_day("rotterdam-2026-04-27")
    expected = _expected(day)
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
    expected = _expected(day)
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


def _normal(identifier: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", identifier.upper())


def _near(a: str, b: str) -> bool:
    """Equal after normalising, or one substitution, insertion, deletion or adjacent swap."""
    a, b = _normal(a), _normal(b)
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) != len(b):
        short, long = sorted((a, b), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diffs) <= 1:
        return True
    i, j = diffs[0], diffs[-1]
    return len(diffs) == 2 and j == i + 1 and (a[i], a[j]) == (b[j], b[i])


def _latest(day: Day) -> tuple[dict[str, ManifestLine], dict[str, PreNotification]]:
    lines: dict[str, ManifestLine] = {}
    notifications: dict[str, PreNotification] = {}
    for event in day.events:
        record = event.record
        if isinstance(record, ManifestLine):
            key = f"{record.manifest_id}/{record.line_id}"
            if key not in lines or record.version > lines[key].version:
                lines[key] = record
        elif isinstance(record, PreNotification):
            notifications[record.reference] = record  # versions arrive in order
    return lines, notifications


def _shares_a_key(notification: PreNotification, line: ManifestLine) -> bool:
    strong = (
        any(_near(a, b) for a in notification.containers for b in line.containers)
        or (
            notification.transport_document is not None
            and _near(notification.transport_document, line.transport_document.number)
        )
        or any(_normal(notification.reference) == _normal(q) for q in line.document_references)
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
    lines, notifications = _latest(day)
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


# --- The issue-16 families (scenario_families.py) ---------------------------------------------


def test_a_transposition_that_passes_the_check_digit_is_found() -> None:
    assert "PNMU0000130" in check_digit_transpositions("PNMU0000103")
    for number in (container(serial) for serial in range(0, 3000, 7)):
        for swapped in check_digit_transpositions(number):
            assert container(int(swapped[4:10]), swapped[:4]) == swapped != number


def test_wood_at_rotterdam_needs_five_working_days_and_nlams_by_air_is_schiphol() -> None:
    # Thursday 30 April 2026: five working days back skips the weekend and King's Day (27th).
    assert lead_time_deadline(_local(30, 10), "NLRTM", wood=True) == _local(22, 10)
    assert lead_time_deadline(_local(30, 10), "NLRTM") == _local(29, 10)
    assert lead_time_deadline(_local(30, 10), "NLAMS", by_air=True) == _local(30, 6)
    assert lead_time_deadline(_local(30, 10), "NLAMS") == _local(29, 10)  # the seaport


# sha256 of schiphol-2026-03-11.jsonl as committed before the families existed.
WITHOUT_FAMILIES_SHA256 = "a27e947ccc2a524355ed120ab5dfd2af0f626f11cd37d89aa3a19062c5aa1711"


def test_without_families_a_day_is_byte_for_byte_the_one_it_was() -> None:
    plain = generate_day("schiphol", 2, date(2026, 3, 11), 800, "recovered")
    written = "".join(event.replay_line() for event in plain.events).encode()
    assert hashlib.sha256(written).hexdigest() == WITHOUT_FAMILIES_SHA256
    assert not any(line.family for line in plain.facts.lines)
    with_families = generate_day(
        "rotterdam", 5, date(2026, 6, 2), 300, options=DayOptions(families=frozenset(FAMILIES))
    )
    assert len(with_families.expected) == 300
    assert any(line.family for line in with_families.facts.lines)


def _by_family(name: str) -> dict[str, list[str]]:
    day = corpus_day(name)
    expected = {(r["manifest_id"], r["line_id"]): r["status"] for r in day.expected}
    statuses: dict[str, list[str]] = defaultdict(list)
    for line in day.facts.lines:
        if line.family:
            statuses[line.family].append(expected[(line.manifest_id, line.line_id)])
    return statuses


def test_the_corpus_families_carry_the_truth_they_were_made_for() -> None:
    rotterdam, schiphol = _by_family("rotterdam-2026-03-10"), _by_family("schiphol-2026-03-11")
    assert set(rotterdam["shared_ched: over-used"]) == {"review"}
    assert set(rotterdam["shared_ched: covered"]) == {"notified"}
    assert set(rotterdam["transposed"]) == {"notified"}
    assert set(rotterdam["worded: innocent"]) == {"not_controlled"}
    assert "not_controlled" not in rotterdam["worded: controlled"]
    assert {"notified", "notified_late"} == set(rotterdam["bcp_mode: wood at NLRTM"])
    assert set(schiphol["bcp_mode: NLAMS by air"]) <= {"notified", "unnotified"}
    assert "notified" in schiphol["bcp_mode: NLAMS by air"]


def test_family_records_say_what_the_family_says() -> None:
    day = corpus_day("schiphol-2026-03-11")
    family = {f"{x.manifest_id}/{x.line_id}": x.family for x in day.facts.lines}
    lines = {
        f"{e.record.manifest_id}/{e.record.line_id}": e.record
        for e in day.events
        if isinstance(e.record, ManifestLine)
    }
    at_nlams = {k for k, line in lines.items() if line.port_of_discharge == "NLAMS"}
    assert at_nlams and {family[k] for k in at_nlams} == {"bcp_mode: NLAMS by air"}
    bcps = {e.record.bcp for e in day.events if isinstance(e.record, PreNotification)}
    assert {"NLAMS4", "NLAMS"} & bcps
    worded = {d for g in (*WORDED_CONTROLLED, *WORDED_INNOCENT) for d in g.descriptions}
    assert len(worded) >= 60
    for key, line in lines.items():
        if (family[key] or "").startswith("worded"):
            assert line.goods[0].hs_code in (None, "9999")
