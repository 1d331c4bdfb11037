"""Stage 4, blocking: candidates come from index probes on block keys (strong keys, typo
neighbourhoods on the same vessel, the weak block of vessel and party words), never a scan."""

from __future__ import annotations

from stdnum import iso6346

from pnm.cli.scenarios import container, manifest_line, prenotification
from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.facts import LineFacts, NotificationFacts, party_tokens
from pnm.matcher.domain.scoring import near_key
from pnm.shared.contracts.records import ChedType, Party

BOX = container(4711)


def line(
    box: str = BOX, *, imo: str = "9321483", consignee: str = "Van der Berg Import B.V."
) -> LineFacts:
    record = manifest_line("BLK-1", "1", hs_code="020130", description="beef", containers=[box])
    return LineFacts.of(
        record.model_copy(
            update={
                "vessel_imo": imo,
                "consignee": Party(name=consignee, country="NL"),
                "transport_document": record.transport_document.model_copy(
                    update={"number": "MAEU123456789"}
                ),
            }
        )
    )


def notice(
    box: str | None = BOX, *, reference: str = "CHEDP.NL.2026.0000001", importer: str = "X B.V."
) -> NotificationFacts:
    record = prenotification(
        reference,
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[box] if box else [],
    )
    return NotificationFacts.of(
        record.model_copy(update={"importer": Party(name=importer, country="NL")})
    )


def typo(box: str) -> str:
    """One digit of the serial changed: the check digit no longer fits."""
    changed = box[:6] + ("1" if box[6] != "1" else "2") + box[7:]
    assert not iso6346.is_valid(changed)
    return changed


def found(facts: LineFacts, *notices: NotificationFacts) -> set[str]:
    return {n.reference for n in NotificationIndex(notices).candidates(facts)}


def test_a_strong_key_finds_the_notification() -> None:
    assert found(line(), notice()) == {"CHEDP.NL.2026.0000001"}


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
    assert near_key(facts.containers, facts.transport_document, notice(typo(box)))


def test_bill_of_lading_numbers_have_no_typo_neighbourhood() -> None:
    # B/L numbers run in sequences: one edit from dozens of others, so only AWBs get one.
    assert not any(k.startswith("near-document:") for k in line().block_keys)
