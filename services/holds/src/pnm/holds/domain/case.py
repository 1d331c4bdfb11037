"""Cases: customs pre-arrival works a held line (docs/sources.md, "Work steps for an unmatched
veterinary line (seed 004 §5.3)"). Pure.

A case is opened with the line's first standing hold. The officer asks the party (a recorded
contact), may link a written pre-notification the party sent, and closes the case with one
outcome. Three outcomes say the hold is no longer needed and ask the authority to release; the
fourth hands the line to the authority. docs/cases.md has the rules and the diagram.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CaseState(StrEnum):
    OPEN = "open"  # opened with the hold: nobody has reached the party yet
    CONTACTED = "contacted"  # at least one contact with the party recorded
    CLOSED = "closed"  # one outcome, final


class CaseStep(StrEnum):
    RECORD_CONTACT = "record_contact"
    LINK_NOTIFICATION = "link_notification"  # a written pre-notification the party sent
    CLOSE = "close"


class Outcome(StrEnum):
    # Pre-notified, but not yet registered: registered now, the matcher re-matches.
    PRENOTIFIED_NOT_REGISTERED = "prenotified_not_registered"
    NOT_CONTROLLED = "not_controlled"  # not veterinary goods, not plants
    BILATERAL_AGREEMENT = "bilateral_agreement"  # EU agreements: GL, IS, FO, NO, CH
    HANDED_TO_AUTHORITY = "handed_to_authority"  # not pre-notified: the authority takes over


# The outcomes after which the line's holds are no longer needed: the authority is asked to
# release them. Handing over keeps them for the authority.
RELEASING = frozenset(
    {Outcome.PRENOTIFIED_NOT_REGISTERED, Outcome.NOT_CONTROLLED, Outcome.BILATERAL_AGREEMENT}
)
# The outcomes that say the indicator flagged goods that needed no check (docs/cases.md).
FALSE_POSITIVE = frozenset({Outcome.NOT_CONTROLLED, Outcome.BILATERAL_AGREEMENT})

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


def close_refusal(current: CaseState, outcome: Outcome, linked: bool) -> str | None:
    """Why the case cannot close with `outcome`, or None. An outcome that asks for a release
    rests on the party's answer, so a contact must be recorded first; "pre-notified but not
    registered" also needs the pre-notification linked. Handing over needs neither: the
    authority takes the line as it is."""
    if current is S.CLOSED:
        return "the case is closed"
    if outcome in RELEASING and current is not S.CONTACTED:
        return f"{outcome.value} rests on the party's answer: record a contact first"
    if outcome is Outcome.PRENOTIFIED_NOT_REGISTERED and not linked:
        return f"{outcome.value} needs the written pre-notification linked first"
    return None


def apply(
    current: CaseState, step: CaseStep, outcome: Outcome | None = None, linked: bool = False
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


def releases(outcome: Outcome) -> bool:
    return outcome in RELEASING


def false_positive_rate(closed_by_outcome: Mapping[Outcome, int]) -> float | None:
    """Of the cases an indicator flagged that were closed, the share closed as needing no
    check (FALSE_POSITIVE); None when none was closed."""
    closed = sum(closed_by_outcome.values())
    if closed == 0:
        return None
    return sum(n for o, n in closed_by_outcome.items() if o in FALSE_POSITIVE) / closed
