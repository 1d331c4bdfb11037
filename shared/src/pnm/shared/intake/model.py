"""The pure parts of intake: an input as received, what is found wrong with it, its result and
the counts of a batch. No I/O: the pipeline and the services' stores do that."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from stdnum import iso6346

from pnm.shared.rejections import Refused, schema_reasons

Severity = Literal["error", "flag"]
T = TypeVar("T")
RecordT = TypeVar("RecordT", bound=BaseModel)  # the record as the schema reads it
StoredT = TypeVar("StoredT")  # the record as the service stores it


@dataclass(frozen=True)
class Issue:
    """One finding about one field.

    `field` is a dotted path into the record (`commodities.0.cn_code`, `containers.1`); `rule` is
    a stable name (`bcp.not_designated`) that clients and dashboards can rely on; `message` is
    for people. An `error` refuses the record; a `flag` keeps it and marks it (a failed check
    digit is evidence of a typo, and the matcher still needs the identifier).
    """

    field: str
    value: str | None
    rule: str
    message: str
    severity: Severity

    @classmethod
    def of(cls, reason: Mapping[str, Any]) -> Issue:
        """A reason as the shared helpers give it (`{field, value, rule, message, severity}`)."""
        return cls(**reason)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_CONTAINER_SHAPE = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}", re.ASCII)


def container_doubt(raw: str, value: str) -> str:
    """Why a container number that is no valid ISO 6346 number (`value` as kept, `raw` as
    received) is flagged and kept: the matcher still needs it."""
    if _CONTAINER_SHAPE.fullmatch(value):
        expected = iso6346.calc_check_digit(value[:10])
        return (
            f"container {value} fails the ISO 6346 check digit (expected {expected}, "
            f"got {value[10]}): kept, probably a typo"
        )
    return (
        f"container {raw!r} is not an ISO 6346 container number (owner code, category "
        f"U/J/Z, 6-digit serial, check digit): kept as {value}"
    )


def schema_issues(err: ValidationError) -> list[Issue]:
    return [Issue.of(reason) for reason in schema_reasons(err)]


@dataclass(frozen=True)
class Submission:
    """One input as received, and where it came from."""

    payload: Any
    channel: str  # rest | bulk | file | written | resubmit
    source: str | None = None  # the caller, or the file name and digest
    row_number: int | None = None  # the file row, or the position in a bulk request
    entered_by: str | None = None  # the officer who entered a written input
    problem: dict[str, Any] | None = None  # a file row that is no record (pnm.shared.files)


@dataclass
class IntakeResult:
    """What became of one input. Each service adds what names its record; `outcome` is one of
    its outcomes, all of which but `rejected` mean the input was accepted."""

    outcome: str = "rejected"
    version: int | None = None
    issues: list[Issue] = field(default_factory=list)  # the reasons, or the flags if accepted
    rejection_id: int | None = None
    row_number: int | None = None

    def refuse(self, issues: list[Issue]) -> None:
        self.outcome, self.issues = "rejected", issues

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Accepted(Generic[T]):
    """An input that passed every check, as its service stores it."""

    index: int  # of its submission, and of its result
    submission: Submission
    record: T
    flags: list[Issue]


def counts(results: Iterable[IntakeResult], outcomes: Sequence[str]) -> dict[str, int]:
    """How many results had each outcome, every outcome named (zero or not)."""
    summary = dict.fromkeys(outcomes, 0)
    for r in results:
        summary[r.outcome] += 1
    return summary


ResultT = TypeVar("ResultT", bound=IntakeResult)


class IntakeChecks(ABC, Generic[RecordT, StoredT, ResultT]):
    """What one intake service checks, and how it names what it took in."""

    model: type[RecordT]

    @abstractmethod
    def result(self, submission: Submission) -> ResultT:
        """The result of an input before it is read: refused until accepted."""

    @abstractmethod
    def accept(
        self, submission: Submission, record: RecordT, result: ResultT, now: datetime
    ) -> tuple[StoredT, list[Issue]] | list[Issue]:
        """The record to store and its flags, or the errors that refuse it."""

    @abstractmethod
    def subject(self, result: ResultT) -> str | None:
        """What the input was about, as a rejection keeps it and a re-submission closes it."""

    def batch_order(self, accepted: list[Accepted[StoredT]]) -> list[Accepted[StoredT]]:
        """The order the accepted records are stored in (alone, when the batch is refused)."""
        return accepted


def screen(
    submissions: Sequence[Submission],
    checks: IntakeChecks[RecordT, StoredT, ResultT],
    now: datetime,
) -> tuple[list[ResultT], list[Accepted[StoredT]]]:
    """Each input on its own: a file row that is no record, the schema, the service's checks.
    Every input's result, in their order, refused with its reasons unless accepted; and the
    accepted ones, in the order to store them."""
    results = [checks.result(s) for s in submissions]
    accepted: list[Accepted[StoredT]] = []
    for index, submission in enumerate(submissions):
        result = results[index]
        if submission.problem is not None:
            result.issues = [Issue.of(submission.problem)]
            continue
        try:
            record = checks.model.model_validate(submission.payload)
        except ValidationError as err:
            result.issues = schema_issues(err)
            continue
        taken = checks.accept(submission, record, result, now)
        if isinstance(taken, list):
            result.issues = taken
            continue
        accepted.append(Accepted(index, submission, *taken))
    return results, checks.batch_order(accepted)


def refusals(
    submissions: Sequence[Submission],
    results: Sequence[ResultT],
    checks: IntakeChecks[Any, Any, ResultT],
) -> list[tuple[Refused, ResultT]]:
    """The refused inputs as they are kept, each with the result that learns its id."""
    return [
        (
            Refused(
                s.channel,
                s.source,
                s.row_number,
                checks.subject(r),
                s.payload,
                [i.as_json() for i in r.issues],
            ),
            r,
        )
        for s, r in zip(submissions, results, strict=True)
        if r.outcome == "rejected"
    ]
