"""A pre-notification's quantity is a budget (issue 16, item 2; docs/quantity-budget.md).

The finding: a CHED quoted by one line and covering it fully by weight also "matched" other
lines of the same importer on the same vessel through the weak block (name, vessel, goods and
weight each within bounds on their own), so an unnotified line was `review` or even `notified`,
and a late pre-notification for it was never credited."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from replaying import InMemory

from pnm.shared.contracts.records import (
    ChedType,
    Decision,
    DecisionStatus,
    ManifestLine,
    PreNotification,
    Record,
)
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line, prenotification

CHED = "CHEDP.NL.2026.0007001"
LATER = "CHEDP.NL.2026.0007002"
QUOTED = manifest_line(
    "QB-1", "1", hs_code="020130", description="frozen beef", containers=[container(1)],
    document_references=[CHED],
)  # fmt: skip
OTHER = manifest_line(
    "QB-1", "2", hs_code="020130", description="frozen beef", containers=[container(2)]
)
# Notified without containers or transport document: the line quoting it is covered by key,
# the other line of the same importer on the same vessel only through the weak block.
NOTICE = prenotification(
    CHED, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
    containers=[], net_mass_kg=16_500,
)  # fmt: skip


def _decide(events: list[tuple[Record, datetime]]) -> dict[str, Decision]:
    async def run() -> dict[str, Decision]:
        matcher = InMemory()
        for record, at in sorted(events, key=lambda e: e[1]):
            await matcher.replay.receive(record, at)
        await matcher.replay.advance(BASE_ETA + timedelta(hours=1))
        return {line: d for (_, line), d in (await matcher.decisions()).items()}

    return asyncio.run(run())


def _day(*extra: tuple[Record, datetime]) -> list[tuple[Record, datetime]]:
    return [
        (NOTICE, NOTICE.submitted_at),
        (QUOTED, BASE_ETA - timedelta(days=2)),
        (OTHER, BASE_ETA - timedelta(days=2)),
        (arrival("QB-1"), BASE_ETA),
        *extra,
    ]


def test_a_ched_used_up_by_the_line_that_quotes_it_does_not_cover_another_line() -> None:
    decided = _decide(_day())
    assert decided["1"].status is DecisionStatus.NOTIFIED
    assert decided["2"].status is DecisionStatus.UNNOTIFIED, decided["2"].reasons
    assert CHED not in decided["2"].references


def test_a_late_notification_covering_the_other_line_is_credited() -> None:
    late = prenotification(
        LATER, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
        containers=[container(2)], submitted_at=BASE_ETA - timedelta(hours=2),
    )  # fmt: skip
    decided = _decide(_day((late, late.submitted_at)))
    assert decided["1"].status is DecisionStatus.NOTIFIED
    assert decided["2"].status is DecisionStatus.NOTIFIED_LATE
    assert decided["2"].references == [LATER]


def _quoting(line_id: str, box: int) -> ManifestLine:
    return manifest_line(
        "QB-2", line_id, hs_code="020130", description="frozen beef", containers=[container(box)],
        document_references=[CHED],
    )  # fmt: skip


def test_lines_that_together_use_a_ched_beyond_its_quantity_go_before_a_person() -> None:
    one, two = _quoting("1", 11), _quoting("2", 12)
    decided = _decide(
        [
            (NOTICE, NOTICE.submitted_at),
            (one, BASE_ETA - timedelta(days=2)),
            (two, BASE_ETA - timedelta(days=2)),
        ]
    )
    for line, other in (("1", "QB-2/2"), ("2", "QB-2/1")):
        assert decided[line].status is DecisionStatus.REVIEW
        [reason] = [r for r in decided[line].reasons if r.code == "quantity_exceeded"]
        assert other in reason.text and CHED in reason.text


def test_one_ched_for_two_containers_covers_both_lines() -> None:
    both = prenotification(
        CHED, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
        containers=[container(21), container(22)], net_mass_kg=33_000,
    )  # fmt: skip
    lines = [
        manifest_line(
            "QB-3", n, hs_code="020130", description="frozen beef", containers=[container(b)]
        )
        for n, b in (("1", 21), ("2", 22))
    ]
    decided = _decide(
        [(both, both.submitted_at), *((x, BASE_ETA - timedelta(days=2)) for x in lines)]
    )
    assert {d.status for d in decided.values()} == {DecisionStatus.NOTIFIED}


def test_a_line_moves_to_the_notification_that_covers_it_by_key() -> None:
    """A weaker candidate in time (the same importer on the same vessel, enough quantity) and a
    late one that names the line's container: the line is the late one's."""
    roomy = _notice_of(17_000, None)
    late = prenotification(
        LATER, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
        containers=[container(2)], submitted_at=BASE_ETA - timedelta(hours=2),
    )  # fmt: skip
    decided = _decide(
        [
            (roomy, roomy.submitted_at),
            (OTHER, BASE_ETA - timedelta(days=2)),
            (late, late.submitted_at),
            (arrival("QB-1"), BASE_ETA),
        ]
    )
    assert decided["2"].status is DecisionStatus.NOTIFIED_LATE, decided["2"].reasons
    assert decided["2"].references == [LATER]


def test_a_line_quoting_a_ched_that_fits_nothing_else_of_it_goes_before_a_person() -> None:
    """The second line quotes the CHED (as 'CHEDP NL 2026 …') but has another container, B/L and
    consignee (a forwarder): quoting a reference is the declarant's own word that it covers
    the line, so the line is `review`, not held as unnotified."""
    first = manifest_line(
        "QB-4", "1", hs_code="020130", description="frozen beef", containers=[container(31)],
        document_references=[CHED],
    )  # fmt: skip
    named = NOTICE.model_copy(
        update={
            "containers": [container(31)],
            "transport_document": first.transport_document.number,
        }
    )
    second = manifest_line(
        "QB-4", "2", hs_code="020130", description="frozen beef", containers=[container(32)],
        bill_of_lading="MEDUGD603259",
    )  # fmt: skip
    second = second.model_copy(
        update={
            "document_references": [CHED.replace(".", " ")],
            "consignee": second.consignee.model_copy(update={"name": "Portside Forwarding B.V."}),
        }
    )
    decided = _decide(
        [
            (named, named.submitted_at),
            (first, BASE_ETA - timedelta(days=2)),
            (second, BASE_ETA - timedelta(days=2)),
            (arrival("QB-4"), BASE_ETA),
        ]
    )
    assert decided["2"].status is DecisionStatus.REVIEW, decided["2"].reasons
    assert decided["1"].status is DecisionStatus.REVIEW, decided["1"].reasons


def _with_packages(record: ManifestLine, kg: float, packages: int) -> ManifestLine:
    goods = record.goods[0].model_copy(update={"gross_mass_kg": kg, "packages": packages})
    return record.model_copy(update={"goods": [goods]})


def _notice_of(kg: float, packages: int | None) -> PreNotification:
    return prenotification(
        CHED, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
        containers=[], net_mass_kg=kg, packages=packages,
    )  # fmt: skip


def test_packages_used_up_by_the_line_that_quotes_it_leave_nothing_for_another_line() -> None:
    """Issue 16, item 2: "net mass (and packages, where given)". The mass would leave room
    (13,000 kg net against 14,000 + 7,000 kg gross: 0.62, within the weight band), but the line
    quoting the CHED takes all 700 of its cartons: 700 of 1,300 is too little for the other
    line's 600 cartons."""
    notice = _notice_of(13_000, 700)
    decided = _decide(
        [
            (notice, notice.submitted_at),
            (_with_packages(QUOTED, 14_000, 700), BASE_ETA - timedelta(days=2)),
            (_with_packages(OTHER, 7_000, 600), BASE_ETA - timedelta(days=2)),
            (arrival("QB-1"), BASE_ETA),
        ]
    )
    assert decided["1"].status is DecisionStatus.NOTIFIED
    assert decided["2"].status is DecisionStatus.UNNOTIFIED, decided["2"].reasons
    assert CHED not in decided["2"].references


def test_without_counts_on_every_side_only_the_mass_is_budgeted() -> None:
    """The same lines against a CHED that gives no packages: the mass leaves room, so the
    other line stays a candidate of it (`review` on the weak block)."""
    notice = _notice_of(13_000, None)
    decided = _decide(
        [
            (notice, notice.submitted_at),
            (_with_packages(QUOTED, 14_000, 700), BASE_ETA - timedelta(days=2)),
            (_with_packages(OTHER, 7_000, 600), BASE_ETA - timedelta(days=2)),
            (arrival("QB-1"), BASE_ETA),
        ]
    )
    assert decided["2"].status is not DecisionStatus.UNNOTIFIED, decided["2"].reasons
    assert CHED in decided["2"].references


def test_counts_in_other_units_say_nothing_of_a_second_use() -> None:
    """The CHED counts 20 pallets, the manifest 700 and 600 cartons: no budget of packages."""
    notice = _notice_of(13_000, 20)
    decided = _decide(
        [
            (notice, notice.submitted_at),
            (_with_packages(QUOTED, 14_000, 700), BASE_ETA - timedelta(days=2)),
            (_with_packages(OTHER, 7_000, 600), BASE_ETA - timedelta(days=2)),
            (arrival("QB-1"), BASE_ETA),
        ]
    )
    assert decided["1"].status is DecisionStatus.NOTIFIED
    assert CHED in decided["2"].references, decided["2"].reasons


def test_lines_quoting_a_ched_beyond_its_packages_go_before_a_person() -> None:
    notice = _notice_of(33_000, 1_000)
    one, two = (_with_packages(_quoting(n, box), 16_000, 900) for n, box in (("1", 41), ("2", 42)))
    decided = _decide(
        [
            (notice, notice.submitted_at),
            (one, BASE_ETA - timedelta(days=2)),
            (two, BASE_ETA - timedelta(days=2)),
        ]
    )
    for line in ("1", "2"):
        assert decided[line].status is DecisionStatus.REVIEW, decided[line].reasons
        assert any(r.code == "quantity_exceeded" for r in decided[line].reasons)
