"""The pure parts of the completeness invariant: reading a line's identity leniently, the
`review` decision of an unprocessable line, and the reconciliation's report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pnm.matcher.domain.completeness import (
    ERROR_KEPT_CHARS,
    UNPROCESSABLE,
    LineIdentity,
    line_identity,
    unprocessable_decision,
)
from pnm.shared.contracts.records import DecisionStatus
from pnm.shared.reconciliation import GapCount, report

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_identity_of_an_otherwise_invalid_line_is_read() -> None:
    data = {"manifest_id": " M-1 ", "line_id": "7", "version": 3, "eta": "0001-01-01T00:00:00Z"}
    assert line_identity(data) == LineIdentity("M-1", "7", 3)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "M-1/7",
        {"line_id": "7", "version": 1},
        {"manifest_id": "M-1", "line_id": None, "version": 1},
        {"manifest_id": "M-1", "line_id": "  ", "version": 1},
        {"manifest_id": "M-1", "line_id": "7\x00", "version": 1},
        {"manifest_id": "M-1", "line_id": "\ud800", "version": 1},
        {"manifest_id": "M-1", "line_id": "7", "version": "1"},
        {"manifest_id": "M-1", "line_id": "7", "version": True},
        {"manifest_id": "M-1", "line_id": "7", "version": 0},
        {"manifest_id": "M-1", "line_id": "7", "version": 2**31},
    ],
)
def test_no_identity_when_one_part_cannot_be_read_or_stored(data: Any) -> None:
    assert line_identity(data) is None


def test_identities_of_any_length_have_a_fixed_size_digest() -> None:
    short = LineIdentity("M", "1", 1)
    long = LineIdentity("M" * 3000, "1" * 3000, 1)
    assert len(short.digest) == len(long.digest) == 32
    assert short.digest != long.digest
    # The separator keeps ("M1", "2") and ("M", "12") apart.
    assert LineIdentity("M1", "2", 1).digest != LineIdentity("M", "12", 1).digest


def test_an_unprocessable_line_is_decided_review_with_the_error_as_reason() -> None:
    error = OverflowError("date value out of range")
    decided = unprocessable_decision(LineIdentity("M-1", "7", 2), 4, error, NOW)
    assert (decided.status, decided.decision_number, decided.line_version) == (
        DecisionStatus.REVIEW,
        4,
        2,
    )
    assert decided.per_regime == [] and decided.references == []
    [reason] = decided.reasons
    assert reason.code == UNPROCESSABLE
    assert "OverflowError: date value out of range" in reason.text


def test_the_reason_is_cut_and_storable_whatever_the_error_says() -> None:
    error = ValueError("\x00" + "x" * 10_000)
    [reason] = unprocessable_decision(LineIdentity("M", "1", 1), 1, error, NOW).reasons
    assert "\x00" not in reason.text
    assert len(reason.text) < ERROR_KEPT_CHARS + 100


def test_the_report_warns_only_while_there_is_a_gap() -> None:
    quiet = report("matcher", NOW, timedelta(minutes=5), {"undecided_line": GapCount()})
    assert quiet.total == 0 and quiet.warning() is None
    gap = GapCount(count=2, oldest=NOW - timedelta(seconds=412))
    loud = report("matcher", NOW, timedelta(minutes=5), {"undecided_line": gap})
    assert loud.oldest_gap_seconds == {"undecided_line": 412.0}
    assert loud.warning() == (
        "reconciliation: 2 undecided_line (oldest 412 s); see GET /matcher/reconciliation"
    )
