"""Stage 5, score: the bounds that let the matcher skip a candidate (and the lookup of the
mass it covers) must never skip one that could change the decision: one that could score
`review`, or, for a line another candidate matches, one that could score `match`."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from matcher_cases import BEFORE_DEADLINE, INDICATORS

from pnm.matcher.domain.decision import Evidence, LineSituation, decide, reach
from pnm.matcher.domain.facts import Goods, LineFacts, NotificationFacts
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.domain.regime import settled_by_match
from pnm.matcher.domain.scoring import (
    LineSide,
    Verdict,
    consignment_levels,
    reaches_match,
    reaches_review,
    score,
)
from pnm.shared.contracts.records import ChedType, Party, PreNotification, PreNotificationStatus
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

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

LINE = manifest_line(
    "SC-1", "1", hs_code="020130", description="frozen beef", containers=[BOX],
    bill_of_lading="MAEU123456789",
)  # fmt: skip


def _notice(
    n: int, boxes: list[str], document: str | None, importer: str, code: str, apart: timedelta
) -> PreNotification:
    """Notification n of the line's vessel, each field as drawn."""
    return prenotification(
        f"CHEDP.NL.2026.{n:07d}",
        ched_type=ChedType.CHED_P,
        cn_code=code,
        description="beef",
        containers=boxes,
        transport_document=document,
        expected_arrival=BASE_ETA + apart,
        importer=Party(name=importer, country="NL"),
    )


drawn = (containers, documents, importers, codes, arrivals, ports, masses, st.booleans())


def _bound_and_verdict(
    boxes: list[str],
    document: str | None,
    importer: str,
    code: str,
    apart: timedelta,
    port: str,
    covered_kg: float,
    quoted: bool,
) -> tuple[bool, bool, Verdict]:
    """Whether the candidate reaches review and match by its consignment levels (the bounds),
    and what it scores."""
    record = LINE
    if quoted:
        record = record.model_copy(update={"document_references": ["CHEDP.NL.2026.0000001"]})
    facts = LineFacts.of(record)
    n = NotificationFacts.of(_notice(1, boxes, document, importer, code, apart))
    side = LineSide(facts, [Goods("020130", "frozen beef", 18_000.0)], BASE_ETA, port)
    levels = consignment_levels(facts, BASE_ETA, port, n, INDICATORS)
    verdict = score(side, n, covered_kg, INDICATORS).verdict
    return reaches_review(levels, INDICATORS), reaches_match(levels, INDICATORS), verdict


def test_a_candidate_a_bound_skips_never_scores_what_it_rules_out() -> None:
    """Each bound is checked on the candidates it skips; the run must meet enough of them
    (an implication checked on no case proves nothing)."""
    skipped: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.tuples(*drawn))
    def check(case: tuple[list[str], str | None, str, str, timedelta, str, float, bool]) -> None:
        review, match, verdict = _bound_and_verdict(*case)
        if not review:
            skipped["review"] += 1
            assert verdict is Verdict.NONE
        if not match:
            skipped["match"] += 1
            assert verdict is not Verdict.MATCH

    check()
    assert skipped["review"] >= 10 and skipped["match"] >= 10, skipped


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


candidates = st.lists(
    st.tuples(containers, documents, importers, codes, arrivals, masses, st.booleans()),
    max_size=4,
)


def test_a_line_a_candidate_matches_is_decided_alike_without_those_that_cannot_match() -> None:
    """The line's own notification (any goods, any mass covered) and up to four others near
    it: when the candidates that may match settle the decision, the rest change nothing. The
    run must meet enough settled cases (an implication checked on no case proves nothing)."""
    settled = 0

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(codes, masses, candidates, st.booleans())
    def check(
        code: str,
        covered_kg: float,
        others: list[tuple[list[str], str | None, str, str, timedelta, float, bool]],
        after_deadline: bool,
    ) -> None:
        nonlocal settled
        record = LINE
        facts = LineFacts.of(record)
        own = (
            [BOX], "MAEU123456789", record.consignee.name, code, timedelta(0), covered_kg, True
        )  # fmt: skip
        evidence = []
        for n, (boxes, document, importer, cn, apart, kg, active) in enumerate([own, *others]):
            notified = _notice(n, boxes, document, importer, cn, apart)
            if not active:
                notified = notified.model_copy(update={"status": PreNotificationStatus.CANCELLED})
            evidence.append(Evidence(NotificationFacts.of(notified), Quantity(kg, 0)))
        situation = LineSituation(record, facts, BASE_ETA, None)
        now = BASE_ETA if after_deadline else BEFORE_DEADLINE

        def may_match(e: Evidence) -> bool:
            levels = reach(facts, BASE_ETA, "NLRTM", e.notification, INDICATORS)
            return levels is not None and reaches_match(levels, INDICATORS)

        restricted = decide(situation, INDICATORS, [e for e in evidence if may_match(e)], now)
        if settled_by_match(restricted.per_regime):  # the case the shortcut is taken in
            settled += 1
            assert decide(situation, INDICATORS, evidence, now) == restricted

    check()
    assert settled >= 10, settled
