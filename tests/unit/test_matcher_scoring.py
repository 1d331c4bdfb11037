"""Stage 5, score: the bound that lets the matcher skip a candidate (and the lookup of the
mass it covers) must never skip one that could score `review` or `match`."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from matcher_cases import INDICATORS

from pnm.cli.scenarios import BASE_ETA, container, manifest_line, prenotification
from pnm.matcher.domain.facts import Goods, LineFacts, NotificationFacts
from pnm.matcher.domain.scoring import (
    LineSide,
    Verdict,
    consignment_levels,
    reaches_review,
    score,
)
from pnm.shared.contracts.records import ChedType, Party

BOX = container(4711)
TYPO = BOX[:6] + ("1" if BOX[6] != "1" else "2") + BOX[7:]

# Each field of the notification either agrees with the line, is near it, or differs.
containers = st.sampled_from([[BOX], [TYPO], [container(815)], []])
documents = st.sampled_from(["MAEU123456789", "MAEU123456788", "MSCU000000001", None])
importers = st.sampled_from(["Van der Berg Import B.V.", "Van der Berg Imports", "Jansen BV"])
codes = st.sampled_from(["02013000", "020130", "0201", "0303", "0602"])
arrivals = st.sampled_from([timedelta(0), timedelta(hours=30), timedelta(days=5)])
ports = st.sampled_from(["NLRTM", "NLAMS"])
masses = st.floats(min_value=0.0, max_value=200_000.0)


@settings(max_examples=300, deadline=None)
@given(containers, documents, importers, codes, arrivals, ports, masses, st.booleans())
def test_a_candidate_the_bound_skips_never_reaches_review(
    boxes: list[str],
    document: str | None,
    importer: str,
    code: str,
    apart: timedelta,
    port: str,
    covered_kg: float,
    quoted: bool,
) -> None:
    record = manifest_line(
        "SC-1", "1", hs_code="020130", description="frozen beef", containers=[BOX],
        bill_of_lading="MAEU123456789",
    )  # fmt: skip
    if quoted:
        record = record.model_copy(update={"document_references": ["CHEDP.NL.2026.0000001"]})
    facts = LineFacts.of(record)
    notified = prenotification(
        "CHEDP.NL.2026.0000001",
        ched_type=ChedType.CHED_P,
        cn_code=code,
        description="beef",
        containers=boxes,
        transport_document=document,
        expected_arrival=BASE_ETA + apart,
    )
    n = NotificationFacts.of(
        notified.model_copy(update={"importer": Party(name=importer, country="NL")})
    )
    side = LineSide(facts, [Goods("020130", "frozen beef", 18_000.0)], BASE_ETA, port)
    if not reaches_review(consignment_levels(facts, BASE_ETA, port, n, INDICATORS), INDICATORS):
        assert score(side, n, covered_kg, INDICATORS).verdict is Verdict.NONE


def test_the_notification_of_the_line_is_never_skipped() -> None:
    record = manifest_line(
        "SC-1", "1", hs_code="020130", description="frozen beef", containers=[BOX]
    )
    n = NotificationFacts.of(
        prenotification(
            "CHEDP.NL.2026.0000001",
            ched_type=ChedType.CHED_P,
            cn_code="02013000",
            description="beef",
            containers=[BOX],
        )
    )
    levels = consignment_levels(LineFacts.of(record), BASE_ETA, "NLRTM", n, INDICATORS)
    assert reaches_review(levels, INDICATORS)
