"""The intake pipeline both intake services run (pnm.shared.intake), on its own: each input
checked alone, refused with every reason or accepted with its flags, the refusals as they are
kept, the counts; and the CSV reader that groups one item per row into records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, Field

from pnm.manifest_ingest.handlers import LINES
from pnm.shared.files import FileFormatError, read_grouped_csv, row_problem
from pnm.shared.intake.model import (
    Accepted,
    IntakeChecks,
    IntakeResult,
    Issue,
    Submission,
    counts,
    refusals,
    screen,
)
from pnm.testing.records import container, manifest_line

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class Pallet(BaseModel):
    code: str = Field(min_length=1)
    version: int = Field(ge=1)
    mass_kg: float


@dataclass
class PalletResult(IntakeResult):
    code: str | None = None


class PalletChecks(IntakeChecks[Pallet, Pallet, PalletResult]):
    """A record of the simplest kind: over 1000 kg is refused, over 500 kg flagged."""

    model = Pallet

    def result(self, submission: Submission) -> PalletResult:
        return PalletResult(row_number=submission.row_number)

    def accept(
        self, submission: Submission, record: Pallet, result: PalletResult, now: datetime
    ) -> tuple[Pallet, list[Issue]] | list[Issue]:
        result.code = record.code
        value = f"{record.mass_kg:g}"
        if record.mass_kg > 1000:
            return [Issue("mass_kg", value, "mass.too_heavy", "over 1000 kg", "error")]
        heavy = record.mass_kg > 500
        return record, [Issue("mass_kg", value, "mass.heavy", "over 500 kg", "flag")] * heavy

    def subject(self, result: PalletResult) -> str | None:
        return result.code

    def batch_order(self, accepted: list[Accepted[Pallet]]) -> list[Accepted[Pallet]]:
        return sorted(accepted, key=lambda a: (a.record.code, a.record.version))


def pallet(code: str = "P1", version: int = 1, mass_kg: float = 10) -> dict[str, object]:
    return {"code": code, "version": version, "mass_kg": mass_kg}


def test_each_input_is_refused_with_its_reasons_or_accepted_with_its_flags() -> None:
    submissions = [
        Submission(pallet("P1", mass_kg=600), "bulk", "feed", 0),
        Submission({"code": "", "version": 0}, "bulk", "feed", 1),
        Submission(pallet("P3", mass_kg=2000), "bulk", "feed", 2),
        Submission("P4;1;10", "file", "f.csv", 5, problem=row_problem("", None, "x.y", "bad")),
        Submission(pallet("P5"), "bulk", "feed", 4),
    ]
    results, accepted = screen(submissions, PalletChecks(), NOW)

    assert [r.row_number for r in results] == [0, 1, 2, 5, 4]
    assert [a.index for a in accepted] == [0, 4]
    assert [a.submission for a in accepted] == [submissions[0], submissions[4]]
    assert accepted[0].flags == [Issue("mass_kg", "600", "mass.heavy", "over 500 kg", "flag")]
    assert accepted[1].flags == []
    # Accepted inputs are not given an outcome here: their store does that.
    assert all(r.outcome == "rejected" for r in results)
    assert {i.rule for i in results[1].issues} == {
        "schema.string_too_short",
        "schema.greater_than_equal",
        "schema.missing",
    }
    assert [i.rule for i in results[2].issues] == ["mass.too_heavy"]
    assert results[2].code == "P3"  # named by the service's checks before they refused it
    assert results[3].issues == [Issue("", None, "x.y", "bad", "error")]


def test_the_accepted_are_stored_in_the_services_order() -> None:
    submissions = [Submission(pallet(c, v), "bulk") for c, v in [("B", 2), ("A", 1), ("B", 1)]]
    _, accepted = screen(submissions, PalletChecks(), NOW)
    assert [(a.record.code, a.record.version, a.index) for a in accepted] == [
        ("A", 1, 1),
        ("B", 1, 2),
        ("B", 2, 0),
    ]


def test_only_refused_inputs_are_kept_with_their_reasons_and_subject() -> None:
    submissions = [
        Submission(pallet("P1"), "rest", "feed-a"),
        Submission(pallet("P2", mass_kg=5000), "file", "f.jsonl", 7),
    ]
    results, _ = screen(submissions, PalletChecks(), NOW)
    results[0].outcome = "created"

    [(kept, result)] = refusals(submissions, results, PalletChecks())

    assert result is results[1]
    assert (kept.channel, kept.source, kept.row_number, kept.subject) == (
        "file",
        "f.jsonl",
        7,
        "P2",
    )
    assert kept.payload == pallet("P2", mass_kg=5000)
    assert kept.reasons == [
        {
            "field": "mass_kg",
            "value": "5000",
            "rule": "mass.too_heavy",
            "message": "over 1000 kg",
            "severity": "error",
        }
    ]


def test_a_refusal_after_acceptance_replaces_the_flags() -> None:
    result = PalletResult("created", 1, [Issue("f", None, "r", "m", "flag")], code="P1")
    result.refuse([Issue("", None, "store.refused", "no", "error")])
    assert result.as_json() == {
        "outcome": "rejected",
        "version": 1,
        "issues": [
            {
                "field": "",
                "value": None,
                "rule": "store.refused",
                "message": "no",
                "severity": "error",
            }
        ],
        "rejection_id": None,
        "row_number": None,
        "code": "P1",
    }


def test_counts_name_every_outcome() -> None:
    results = [PalletResult("created"), PalletResult("rejected"), PalletResult("created")]
    assert counts(results, ("created", "ignored", "rejected")) == {
        "created": 2,
        "ignored": 0,
        "rejected": 1,
    }
    with pytest.raises(KeyError):
        counts([PalletResult("lost")], ("created", "rejected"))


def test_a_manifest_line_is_named_by_its_raw_fields_and_refused_outside_the_window() -> None:
    far = manifest_line(
        "M1",
        "L1",
        hs_code="020130",
        description="frozen beef",
        containers=[container(1)],
        eta=NOW + timedelta(days=400),
    ).model_dump(mode="json")
    unreadable = {"manifest_id": "M2", "line_id": "L9", "version": "x"}
    results, accepted = screen(
        [Submission(far, "rest"), Submission(unreadable, "rest")], LINES, NOW
    )
    assert accepted == []
    assert [(r.manifest_id, r.line_id) for r in results] == [("M1", "L1"), ("M2", "L9")]
    assert [i.rule for i in results[0].issues] == ["eta.outside_window"]
    assert [LINES.subject(r) for r in results] == ["M1/L1", "M2/L9"]


CSV = """code,version,item,mass_kg
P1,1,a,10
P2,1,x,5
P1,1,b,20
,1,c,30
P1,2,d,40
"""


def _pallets(text: str) -> list[tuple[int, Any, dict[str, Any] | None]]:
    rows = read_grouped_csv(
        text,
        frozenset({"code", "version", "item"}),
        ("code", "version"),
        "items",
        lambda row: {"item": row["item"], "mass_kg": row.get("mass_kg")},
        lambda row, items: {"code": row["code"], "version": row["version"], "items": items},
    )
    return [(r.number, r.payload, r.problem) for r in rows]


def test_csv_rows_of_one_key_make_one_record_numbered_by_its_first_row() -> None:
    assert _pallets(CSV) == [
        (
            2,
            {
                "code": "P1",
                "version": "1",
                "items": [{"item": "a", "mass_kg": "10"}, {"item": "b", "mass_kg": "20"}],
            },
            None,
        ),
        (3, {"code": "P2", "version": "1", "items": [{"item": "x", "mass_kg": "5"}]}, None),
        # without the first key column a row is a record of its own, refused by its schema
        (5, {"code": None, "version": "1", "items": [{"item": "c", "mass_kg": "30"}]}, None),
        (6, {"code": "P1", "version": "2", "items": [{"item": "d", "mass_kg": "40"}]}, None),
    ]


def test_an_unreadable_csv_row_refuses_only_itself() -> None:
    rows = _pallets("code,version,item\nP1,1,a\nP1,1,b,extra\nP1,1,c\n")
    assert [(n, p) for n, p, _ in rows] == [
        (3, {"raw": "P1,1,b,extra"}),
        (
            2,
            {
                "code": "P1",
                "version": "1",
                "items": [{"item": "a", "mass_kg": None}, {"item": "c", "mass_kg": None}],
            },
        ),
    ]
    assert rows[0][2] is not None and rows[0][2]["rule"] == "file.extra_cells"


def test_a_csv_without_a_required_column_is_refused_as_a_whole() -> None:
    with pytest.raises(FileFormatError, match="item"):
        _pallets("code,version\nP1,1\n")
