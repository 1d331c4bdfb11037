"""The issue-16 families in a generated day (cli/src/pnm/cli/scenario/families.py,
tests/data/corpus/README.md, "Families"): each case is made with the truth it was made for, and
its records say so."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime

from scenario_corpus import corpus_day, expected_of, latest, local, near, normal

from pnm.cli.scenario.catalogue import WORDED_CONTROLLED, WORDED_INNOCENT
from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.families import (
    FAMILIES,
    air_waybill_transpositions,
    check_digit_transpositions,
)
from pnm.cli.scenario.plan import DayOptions
from pnm.cli.scenario.truth import LineTruth, lead_time_deadline
from pnm.shared.bcp.lead_time import lead_deadline
from pnm.shared.bcp.shipped import bcp_table
from pnm.shared.contracts.records import ManifestLine, Mode, PreNotification
from pnm.shared.identifiers import air_waybill
from pnm.testing.records import container


def test_a_transposition_that_passes_the_check_digit_is_found() -> None:
    assert "PNMU0000130" in check_digit_transpositions("PNMU0000103")
    for number in (container(serial) for serial in range(0, 3000, 7)):
        for swapped in check_digit_transpositions(number):
            assert container(int(swapped[4:10]), swapped[:4]) == swapped != number


def test_an_air_waybill_transposition_that_passes_the_check_digit_is_found() -> None:
    # The check digit is the serial mod 7: 1070000, 1700000 and 1007000 all leave 1.
    assert air_waybill_transpositions("074-10700001") == ["074-17000001", "074-10070001"]
    assert air_waybill_transpositions("074-12345675") == []  # no two neighbours 7 apart
    found = 0
    for serial in range(1_000_000, 1_200_000, 997):
        number = f"176-{serial:07d}{serial % 7}"
        for swapped in air_waybill_transpositions(number):
            found += 1
            assert air_waybill(swapped).valid and swapped != number
            assert swapped[:4] == number[:4] and swapped[-1] == number[-1]  # the serial only
            assert near(swapped, number)
    assert found > 20


def test_wood_at_rotterdam_needs_five_working_days_and_nlams_by_air_is_schiphol() -> None:
    # Thursday 30 April 2026: five working days back skips the weekend and King's Day (27th).
    assert lead_time_deadline(local(30, 10), "NLRTM", wood=True) == local(22, 10)
    assert lead_time_deadline(local(30, 10), "NLRTM") == local(29, 10)
    assert lead_time_deadline(local(30, 10), "NLAMS", by_air=True) == local(30, 6)
    assert lead_time_deadline(local(30, 10), "NLAMS") == local(29, 10)  # the seaport


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
    assert set(rotterdam["transposed: container"]) == {"notified"}
    assert set(rotterdam["worded: innocent"]) == {"not_controlled"}
    assert "not_controlled" not in rotterdam["worded: controlled"]
    assert {"notified", "notified_late"} == set(rotterdam["bcp_mode: wood at NLRTM"])
    nlams = set(schiphol["bcp_mode: NLAMS by air"])
    assert {"notified", "notified_late"} <= nlams <= {"notified", "notified_late", "unnotified"}
    assert set(schiphol["transposed: air waybill"]) == {"notified", "notified_late"}


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


def _family_lines(
    day: Day, family: str
) -> list[tuple[LineTruth, ManifestLine, list[PreNotification]]]:
    """The day's lines of `family`, each with its latest version and the notifications meant
    for it."""
    lines, notifications = latest(day)
    return [
        (
            facts,
            lines[f"{facts.manifest_id}/{facts.line_id}"],
            [notifications[c.reference] for r in facts.regimes for c in r.claims],
        )
        for facts in day.facts.lines
        if facts.family == family
    ]


def test_air_waybill_transpositions_pass_the_check_digit_and_quote_the_reference() -> None:
    """Issue 16, item 4, by air: two valid air waybills one swap apart are one consignment
    only when the reference agrees, so every such line quotes its CHED (docs/ and the matcher's
    `check_blind` level: without it the case is a person's to decide)."""
    day = corpus_day("schiphol-2026-03-11")
    cases = _family_lines(day, "transposed: air waybill")
    assert len(cases) >= 4
    for _, line, (notification, *others) in cases:
        assert not others
        document = line.transport_document
        assert document.type == "AWB" and notification.transport_document is not None
        mine, notified = air_waybill(document.number), air_waybill(notification.transport_document)
        assert mine.valid and notified.valid and mine.value != notified.value
        assert near(mine.value, notified.value)
        assert normal(notification.reference) in {normal(q) for q in line.document_references}
        # A manifest quotes only a reference that exists when the line is filed.
        assert notification.submitted_at < _filed(day, line)


def _filed(day: Day, line: ManifestLine) -> datetime:
    """When the day filed the first version of `line`."""
    return next(
        e.time
        for e in day.events
        if isinstance(e.record, ManifestLine)
        and (e.record.manifest_id, e.record.line_id, e.record.version)
        == (line.manifest_id, line.line_id, 1)
    )


def test_live_animals_at_nlams_notified_late_miss_the_airports_hours_of_notice() -> None:
    """The generator's deadline for live animals flown into NLAMS is the shared BCP rule's
    (NLAMS4's derogation hours, `pnm.shared.bcp.lead_time`): in time before it, late after."""
    day = corpus_day("schiphol-2026-03-11")
    statuses = expected_of(day)
    airport = bcp_table().resolve("NLAMS", Mode.AIR)
    assert airport is not None and airport.code == "NLAMS4"
    seen = set()
    for facts, _, notifications in _family_lines(day, "bcp_mode: NLAMS by air"):
        status = statuses[(facts.manifest_id, facts.line_id)]
        seen.add(status)
        deadline = lead_deadline(facts.eta, airport, wood=False)
        assert deadline.rule == "derogation_hours"
        in_time = [deadline.met_by(n.submitted_at) for n in notifications]
        assert (
            status
            == {(): "unnotified", (True,): "notified", (False,): "notified_late"}[tuple(in_time)]
        )
    assert "notified_late" in seen
