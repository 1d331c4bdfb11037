"""Two adjacent characters swapped in a container or air waybill number (issue 16, item 4).

A check digit rarely catches a swap next to it (PNMU0000103 and PNMU0000130 both pass), so two
valid numbers one swap apart are a typo when another key of the consignment agrees (the
transport document, or a quoted reference); without that agreement they are two consignments,
as two valid numbers one substitution apart are (consecutive boxes of one owner)."""

from __future__ import annotations

from matcher_cases import INDICATORS, decide_at

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.scoring import consignment_levels
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    ManifestLine,
    PreNotification,
    TransportDocument,
)
from pnm.shared.identifiers import air_waybill, container_number
from pnm.testing.records import manifest_line, prenotification

BOX, SWAPPED = "PNMU0000103", "PNMU0000130"
AWB, AWB_SWAPPED = "07412345071", "07412345701"  # serial 1234507 / 1234570: 63 apart, 7 | 63
BL = "MAEU123456789"
REFERENCE = "CHEDP.NL.2026.0004711"


def _line(box: str, document: str = BL, quoted: list[str] | None = None) -> ManifestLine:
    return manifest_line(
        "SW-1", "1", hs_code="020130", description="frozen beef", containers=[box],
        bill_of_lading=document, document_references=quoted,
    )  # fmt: skip


def _notice(box: str, document: str | None) -> PreNotification:
    return prenotification(
        REFERENCE,
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="frozen beef",
        containers=[box],
        transport_document=document,
    )


def _level(field: str, line: ManifestLine, notice: PreNotification) -> str:
    levels = consignment_levels(
        LineFacts.of(line), line.eta, "NLRTM", NotificationFacts.of(notice), INDICATORS
    )
    return dict(levels)[field]


def _by_air_waybill(line: ManifestLine) -> ManifestLine:
    return line.model_copy(update={"transport_document": TransportDocument(type="AWB", number=AWB)})


def test_the_examples_are_valid_numbers_one_swap_apart() -> None:
    assert container_number(BOX).valid and container_number(SWAPPED).valid
    assert air_waybill(AWB).valid and air_waybill(AWB_SWAPPED).valid


def test_a_swapped_container_with_the_transport_document_agreeing_is_a_typo() -> None:
    line, notice = _line(BOX), _notice(SWAPPED, BL)
    assert _level("container", line, notice) == "one_edit"
    assert decide_at(line, [notice]).status is DecisionStatus.NOTIFIED


def test_a_swapped_container_with_a_quoted_reference_is_a_typo() -> None:
    line, notice = _line(BOX, "MAEU999999999", [REFERENCE]), _notice(SWAPPED, None)
    assert _level("container", line, notice) == "one_edit"


def test_a_swapped_container_without_another_key_agreeing_is_another_consignment() -> None:
    assert _level("container", _line(BOX), _notice(SWAPPED, "MAEU999999999")) == "differ"


def test_a_swapped_air_waybill_with_a_quoted_reference_is_a_typo() -> None:
    line = _by_air_waybill(_line(BOX, quoted=[REFERENCE]))
    assert _level("transport_document", line, _notice(BOX, AWB_SWAPPED)) == "one_edit"


def test_a_swapped_air_waybill_alone_is_no_typo_for_sure() -> None:
    """Alone, two valid air waybills one swap apart may be two consignments: not a typo, and
    (the check digit being blind to it) not another consignment for sure either."""
    line = _by_air_waybill(_line("PNMU0000204"))
    assert _level("transport_document", line, _notice(BOX, AWB_SWAPPED)) == "check_blind"


def test_a_valid_air_waybill_one_digit_off_by_seven_goes_before_a_person() -> None:
    """An air waybill's check digit is its serial modulo 7: a digit mistyped by 7 (2 for 9)
    leaves both numbers valid (074-42062650 and 074-42069650). Found on a generated Schiphol
    day: the line was held as unnotified beside its own pre-notification. Neither a typo for
    sure nor another consignment for sure: `review`."""
    flown = _by_air_waybill(_line(BOX)).model_copy(
        update={"transport_document": TransportDocument(type="AWB", number="074-42062650")}
    )
    notice = _notice(BOX, "074-42069650").model_copy(update={"containers": []})
    assert air_waybill("074-42062650").valid and air_waybill("074-42069650").valid
    assert _level("transport_document", flown, notice) == "check_blind"
    assert decide_at(flown, [notice], arrived=True).status is DecisionStatus.REVIEW
