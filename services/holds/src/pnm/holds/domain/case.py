"""Cases: customs pre-arrival works a held line (docs/sources.md, "Work steps for an unmatched
veterinary line (seed 004 §5.3)"). Pure.

A case is opened with the line's first standing hold. The officer asks the party (a recorded
contact), may link a written pre-notification the party sent, and closes the case with one
outcome. Three outcomes say the hold is no longer needed and ask the authority to release; the
fourth hands the line to the authority. docs/cases.md has the rules and the diagram.
"""

from __future__ import annotations

from enum import StrEnum

from pnm.shared.case_outcomes import CaseOutcome


class CaseState(StrEnum):
    OPEN = "open"  # opened with the hold: nobody has reached the party yet
    CONTACTED = "contacted"  # at least one contact with the party recorded
    CLOSED = "closed"  # one outcome, final


class CaseStep(StrEnum):
    RECORD_CONTACT = "record_contact"
    LINK_NOTIFICATION = "link_notification"  # a written pre-notification the party sent
    CLOSE = "close"


# The outcomes after which the line's holds are no longer needed: the authority is asked to
# release them. Handing over keeps them for the authority.
RELEASING = frozenset(
    {
        CaseOutcome.PRENOTIFIED_NOT_REGISTERED,
        CaseOutcome.NOT_CONTROLLED,
        CaseOutcome.BILATERAL_AGREEMENT,
    }
)

S = CaseState
EDGES: dict[CaseStep, dict[CaseState, CaseState]] = {
    CaseStep.RECORD_CONTACT: {S.OPEN: S.CONTACTED, S.CONTACTED: S.CONTACTED},
    CaseStep.LINK_NOTIFICATION: {S.OPEN: S.OPEN, S.CONTACTED: S.CONTACTED},
    CaseStep.CLOSE: {S.OPEN: S.CLOSED, S.CONTACTED: S.CLOSED},  # and see `close_refusal`
}


class CaseRefused(ValueError):
    def __init__(self, current: CaseState, step: CaseStep, why: str) -> None:
        super().__init__(f"a case in state {current.value} cannot take {step.value}: {why}")
        self.current = current
        self.step = step


def close_refusal(current: CaseState, outcome: CaseOutcome, linked: bool) -> str | None:
    """Why the case cannot close with `outcome`, or None. An outcome that asks for a release
    rests on the party's answer, so a contact must be recorded first; "pre-notified but not
    registered" also needs the pre-notification linked. Handing over needs neither: the
    authority takes the line as it is."""
    if current is S.CLOSED:
        return "the case is closed"
    if outcome in RELEASING and current is not S.CONTACTED:
        return f"{outcome.value} rests on the party's answer: record a contact first"
    if outcome is CaseOutcome.PRENOTIFIED_NOT_REGISTERED and not linked:
        return f"{outcome.value} needs the written pre-notification linked first"
    return None


def apply(
    current: CaseState, step: CaseStep, outcome: CaseOutcome | None = None, linked: bool = False
) -> CaseState:
    """The state after `step`, or CaseRefused. `outcome` and `linked` (whether a written
    pre-notification is linked) matter only for CLOSE."""
    if step is CaseStep.CLOSE:
        if outcome is None:
            raise CaseRefused(current, step, "an outcome is required")
        if (why := close_refusal(current, outcome, linked)) is not None:
            raise CaseRefused(current, step, why)
    elif outcome is not None:
        raise ValueError(f"{step.value} takes no outcome")
    target = EDGES[step].get(current)
    if target is None:
        raise CaseRefused(current, step, "the case is closed")
    return target


def releases(outcome: CaseOutcome) -> bool:
    return outcome in RELEASING
