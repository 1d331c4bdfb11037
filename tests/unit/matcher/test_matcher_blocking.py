"""Stage 4, blocking: candidates come from index probes on block keys (strong keys, typo
neighbourhoods on the same vessel, the weak block of vessel and party words), never a scan."""

from __future__ import annotations

import string
from dataclasses import replace

from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.keys import party_tokens
from pnm.matcher.domain.scoring import covers, near_key
from pnm.shared.contracts.records import ChedType, Party
from pnm.shared.identifiers import air_waybill
from pnm.testing.records import container, manifest_line, prenotification

BOX = container(4711)


def line(
    box: str = BOX, *, imo: str = "9321483", consignee: str = "Van der Berg Import B.V."
) -> LineFacts:
    record = manifest_line(
        "BLK-1", "1", hs_code="020130", description="beef", containers=[box],
        bill_of_lading="MAEU123456789", consignee=Party(name=consignee, country="NL"),
    )  # fmt: skip
    return LineFacts.of(record.model_copy(update={"vessel_imo": imo}))


def notice(
    box: str | None = BOX, *, reference: str = "CHEDP.NL.2026.0000001", importer: str = "X B.V."
) -> NotificationFacts:
    record = prenotification(
        reference,
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[box] if box else [],
        importer=Party(name=importer, country="NL"),
    )
    return NotificationFacts.of(record)


def typo(box: str) -> str:
    """One digit of the serial changed: the check digit no longer fits."""
    changed = box[:6] + ("1" if box[6] != "1" else "2") + box[7:]
    assert not iso6346.is_valid(changed)
    return changed


def found(facts: LineFacts, *notices: NotificationFacts) -> set[str]:
    return {n.reference for n in NotificationIndex(notices).candidates(facts)}


def test_a_strong_key_finds_the_notification() -> None:
    assert found(line(), notice()) == {"CHEDP.NL.2026.0000001"}


def test_a_reference_linked_to_the_case_finds_and_covers_a_notification_without_keys() -> None:
    # A written pre-notification with no container on another vessel, linked by customs in
    # any spelling (docs/cases.md): a strong key of the line, as if the line quoted it.
    written = replace(notice(None, importer="Kroonvlees"), vessel="imo:1234567")
    record = manifest_line("BLK-1", "1", hs_code="020130", description="beef", containers=[BOX])
    assert found(LineFacts.of(record), written) == set()
    linked = LineFacts.of(record, ["chedp nl 2026 0000001"])
    assert "reference:CHEDPNL20260000001" in linked.strong_keys
    assert found(linked, written) == {"CHEDP.NL.2026.0000001"}
    assert covers(linked.strong_keys, linked.containers, linked.transport_document, written)


def test_a_container_typo_is_found_on_the_same_vessel_only() -> None:
    mistyped = notice(typo(BOX))
    assert found(line(), mistyped) == {mistyped.reference}
    assert found(line(imo="9999999"), mistyped) == set()


def test_the_weak_block_meets_on_a_telling_word_of_the_party() -> None:
    same_firm = notice(None, importer="VAN DER BERG IMPOST BV")  # a typo in one word
    other_firm = notice(None, reference="CHEDP.NL.2026.0000002", importer="Jansen Import B.V.")
    assert found(line(), same_firm, other_firm) == {same_firm.reference}
    assert party_tokens("van der berg import") == {"berg"}


def valid_neighbours() -> tuple[str, str]:
    """Two valid container numbers one substitution apart: ISO 6346 maps remainders 0 and 10
    to the same check digit 0, so a few such pairs exist."""
    for serial in range(1_000_000):
        body = f"PNMU{serial:06d}"
        box = body + iso6346.calc_check_digit(body)
        for position in range(4, 10):
            for digit in "0123456789":
                other_body = body[:position] + digit + body[position + 1 :]
                other = other_body + iso6346.calc_check_digit(other_body)
                if other_body != body and other[-1] == box[-1]:
                    return box, other
    raise AssertionError("no valid pair one edit apart")


def test_two_valid_numbers_one_edit_apart_are_two_boxes_not_a_typo() -> None:
    box, neighbour = valid_neighbours()
    facts = line(box)
    assert not near_key(facts.containers, facts.transport_document, notice(neighbour))
    assert found(facts, notice(neighbour)) == set()
    assert near_key(facts.containers, facts.transport_document, notice(typo(box)))


def _edited(value: str, kind: str, i: int, char: str) -> str:
    return {
        "substitute": value[:i] + char + value[i + 1 :],
        "insert": value[:i] + char + value[i:],
        "delete": value[:i] + value[i + 1 :],
        "transpose": value[:i] + value[i + 1] + value[i] + value[i + 2 :],
    }[kind]


def one_edit_apart(
    values: st.SearchStrategy[str], alphabet: str
) -> st.SearchStrategy[tuple[str, str]]:
    """A value, and it with one substitution, insertion, deletion or adjacent transposition."""
    return values.flatmap(
        lambda value: st.tuples(
            st.just(value),
            st.builds(
                _edited,
                st.just(value),
                st.sampled_from(["substitute", "insert", "delete", "transpose"]),
                st.integers(0, len(value) - 2),
                st.sampled_from(alphabet),
            ),
        )
    )


@given(
    one_edit_apart(st.integers(0, 999_999).map(container), string.ascii_uppercase + string.digits)
)
def test_every_container_typo_is_found_and_two_valid_boxes_are_not(pair: tuple[str, str]) -> None:
    """Typo keys by check digit (`facts.typo_keys`): a box one edit from a notified box meets it
    whenever one of the two fails its check digit, the rule `covers` counts typos by."""
    box, other = pair
    facts, notified = line(box), notice(other)
    typo_ = near_key(facts.containers, facts.transport_document, notified)
    assert found(facts, notified) == ({notified.reference} if typo_ or box == other else set())


def air_waybill_serial(serial: int) -> str:
    return f"020{serial:07d}{serial % 7}"


@given(one_edit_apart(st.integers(0, 9_999_999).map(air_waybill_serial), string.digits))
def test_every_air_waybill_typo_is_found(pair: tuple[str, str]) -> None:
    awb, other = pair
    facts = replace(line(), transport_document=awb)
    notified = with_document(notice(None), other)
    assume(covered_by(facts, notified))  # a typo the rule counts (hypothesis fails if rare)
    assert found(facts, notified) == {notified.reference}


def test_a_number_that_passes_its_check_digit_is_keyed_by_itself_alone() -> None:
    near = [k for k in line().block_keys if k.startswith("near-")]
    assert near == [f"near-container:imo:9321483|{BOX}"]
    assert len([k for k in line(typo(BOX)).block_keys if k.startswith("near-")]) > 12


def test_bill_of_lading_numbers_have_no_typo_neighbourhood() -> None:
    # B/L numbers run in sequences: one edit from dozens of others, so only AWBs get one.
    assert not any(k.startswith("near-document:") for k in line().block_keys)


def covered_by(facts: LineFacts, n: NotificationFacts) -> bool:
    return covers(facts.strong_keys, facts.containers, facts.transport_document, n)


def with_document(n: NotificationFacts, document: str) -> NotificationFacts:
    return replace(n, transport_document=document)


def test_a_neighbouring_bill_of_lading_is_a_candidate_but_covers_nothing() -> None:
    # MAEU123456788 is as likely the importer's next consignment as a typo of MAEU123456789:
    # scored as a candidate of its own line, but its mass is not summed with this one.
    facts = line()
    neighbour = with_document(notice(None), "MAEU123456788")
    assert near_key(facts.containers, facts.transport_document, neighbour)
    assert not covered_by(facts, neighbour)
    assert covered_by(facts, with_document(notice(None), "MAEU123456789"))


def test_a_container_or_air_waybill_typo_covers_the_line() -> None:
    facts = line()
    assert covered_by(facts, notice(typo(BOX)))
    awb = "02012345675"  # 1234567 mod 7 = 5: valid
    assert air_waybill(awb).valid
    air_line = replace(facts, transport_document=awb)
    assert covered_by(air_line, with_document(notice(None), "02012345685"))  # fails the check
    neighbour = "02082345675"  # 8234567 = 1234567 + 7,000,000: valid too, another waybill
    assert air_waybill(neighbour).valid
    assert not covered_by(air_line, with_document(notice(None), neighbour))


def test_an_index_of_only_the_lines_keys_finds_what_the_full_index_finds() -> None:
    notices = [
        notice(),
        notice(typo(BOX), reference="CHEDP.NL.2026.0000002"),
        notice(None, reference="CHEDP.NL.2026.0000003", importer="Van den Berg BV"),
        notice(container(99), reference="CHEDP.NL.2026.0000004"),
    ]
    lines = [line(), line(container(99), consignee="Jansen")]
    restricted = NotificationIndex(notices, only={k for f in lines for k in f.block_keys})
    for facts in lines:
        assert restricted.candidates(facts) == NotificationIndex(notices).candidates(facts)


def test_facts_read_back_with_their_stored_keys_are_the_facts_computed() -> None:
    """The matcher stores a notification's facts beside its block keys and, reading them back,
    takes the keys as stored instead of computing them again: the same facts either way."""
    awb = "020-12345675"
    assert air_waybill(awb).valid
    for n in [
        notice(),
        notice(None, importer="Van der Berg Import B.V."),
        replace(notice(), transport_document=awb.replace("-", "")),
    ]:
        stored = n.to_json(), sorted(n.block_keys)
        read = NotificationFacts.from_json(*stored)
        assert read == NotificationFacts.from_json(stored[0]) == n
        assert read.strong_keys == n.strong_keys and read.block_keys == n.block_keys
