"""Pre-arrival cases over the store in memory (docs/cases.md): opened with the line's first
standing hold, worked by customs pre-arrival, closed with an outcome that may ask the
authority to release the line's holds."""

from __future__ import annotations

import pytest
from holds_fakes import MemoryHoldStore
from test_hold_service import NOW, PREARRIVAL, acknowledged, decide, run, the_hold

from pnm.holds import cases
from pnm.holds.domain.case import CaseRefused
from pnm.holds.store import Case, Contact
from pnm.shared.case_outcomes import CaseOutcome
from pnm.shared.contracts.records import CaseChanged, DecisionStatus, Reason, Regime
from pnm.shared.contracts.topics import CASES

D = DecisionStatus
ANSWERED = Contact("Van der Berg", None, NOW, "phone", "what are the goods?", "shirts")


def flagged(indicator: str) -> list[Reason]:
    return [Reason(code="selected", text="selected", indicator=indicator)]


def held_line() -> tuple[MemoryHoldStore, Case]:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED, reasons=flagged("cn:0201"))
    acknowledged(store, the_hold(store))
    [case] = store.cases.values()
    return store, case


def published(store: MemoryHoldStore) -> list[str]:
    return [e.record.action for e in store.events if isinstance(e.record, CaseChanged)]


def test_a_case_opens_with_the_first_hold_and_gathers_the_indicators_of_the_next() -> None:
    store, case = held_line()
    assert (case.state, case.indicators) == ("open", ("vet/cn:0201",))
    decide(store, 2, D.UNNOTIFIED, regime=Regime.PHYTO, reasons=flagged("cn:0602"))
    [case] = store.cases.values()
    assert case.indicators == ("phyto/cn:0602", "vet/cn:0201")
    assert published(store) == ["opened"]
    assert [e.topic for e in store.events if isinstance(e.record, CaseChanged)] == [CASES.name]


def test_a_releasing_outcome_rests_on_a_contact_and_asks_for_the_release() -> None:
    store, case = held_line()
    with pytest.raises(CaseRefused):
        run(cases.close(store, case.case_id, CaseOutcome.NOT_CONTROLLED, None, PREARRIVAL, NOW))
    run(cases.record_contact(store, case.case_id, ANSWERED, PREARRIVAL, NOW))
    closed = run(
        cases.close(store, case.case_id, CaseOutcome.NOT_CONTROLLED, "shirts", PREARRIVAL, NOW)
    )
    assert (closed.state, closed.outcome, closed.closed_by) == (
        "closed",
        "not_controlled",
        "customs-officer",
    )
    held = the_hold(store)
    assert (held.state, held.release_reason) == ("release_requested", "case closed: not_controlled")
    assert published(store) == ["opened", "contact_recorded", "closed"]


def test_handing_over_keeps_the_hold() -> None:
    store, case = held_line()
    run(cases.close(store, case.case_id, CaseOutcome.HANDED_TO_AUTHORITY, None, PREARRIVAL, NOW))
    assert the_hold(store).state == "acknowledged"


def test_a_written_notification_is_linked_once_and_lets_the_case_close_as_prenotified() -> None:
    store, case = held_line()
    run(cases.record_contact(store, case.case_id, ANSWERED, PREARRIVAL, NOW))
    outcome = CaseOutcome.PRENOTIFIED_NOT_REGISTERED
    with pytest.raises(CaseRefused):
        run(cases.close(store, case.case_id, outcome, None, PREARRIVAL, NOW))
    run(cases.link_notification(store, case.case_id, "CHEDP.NL.2026.1", "fax", PREARRIVAL, NOW))
    with pytest.raises(cases.AlreadyLinked):
        run(cases.link_notification(store, case.case_id, "CHEDP.NL.2026.1", "fax", PREARRIVAL, NOW))
    run(cases.close(store, case.case_id, outcome, None, PREARRIVAL, NOW))
    [closing] = [e.record for e in store.events if getattr(e.record, "action", "") == "closed"]
    assert isinstance(closing, CaseChanged) and closing.references == ["CHEDP.NL.2026.1"]
