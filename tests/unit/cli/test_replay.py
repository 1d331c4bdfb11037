"""`pnm replay` runs the matcher's domain code over a file, with the file's clock."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest

from pnm.cli.demo_events import demo_events
from pnm.cli.main import main
from pnm.shared.contracts.records import ChedType
from pnm.testing.records import BASE_ETA, prenotification


def write_demo(path: Path) -> None:
    path.write_text("".join(json.dumps(e.to_replay()) + "\n" for e in demo_events()))


def test_demo_replays_to_the_decisions_the_services_reach(tmp_path: Path) -> None:
    source, output = tmp_path / "demo.jsonl", tmp_path / "decisions.jsonl"
    write_demo(source)
    with pytest.raises(SystemExit) as exit_:
        main(["replay", str(source), "--output", str(output)])
    assert exit_.value.code == 0
    decisions = [json.loads(line) for line in output.read_text().splitlines()]
    assert {d["line_id"]: d["status"] for d in decisions} == {
        "1": "unnotified",
        "2": "notified",
        "3": "not_controlled",
    }
    beef = decisions[0]
    # awaiting_notification, overdue when the lead-time deadline passes, unnotified at arrival
    assert beef["decision_number"] == 3
    # The file's clock, not ours: the arrival's time.
    assert beef["decided_at"] == BASE_ETA.isoformat().replace("+00:00", "Z")


def test_replaying_the_same_input_twice_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "demo.jsonl"
    write_demo(source)
    doubled = tmp_path / "doubled.jsonl"
    doubled.write_text(source.read_text() * 2)
    outputs = []
    for path in (source, doubled):
        out = tmp_path / f"{path.stem}.out"
        with pytest.raises(SystemExit):
            main(["replay", str(path), "--output", str(out)])
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]


def test_a_late_prenotification_is_seen(tmp_path: Path) -> None:
    source = tmp_path / "late.jsonl"
    events = [e.to_replay() for e in demo_events()]
    beef_container = events[1]["data"]["containers"][0]  # type: ignore[index]
    late = prenotification(
        "CHEDP.NL.2026.0000099",
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[beef_container],
    )
    events.append(
        {
            "type": "prenotification",
            "time": (BASE_ETA + timedelta(hours=3)).isoformat(),
            "data": late.model_dump(mode="json"),
        }
    )
    source.write_text("".join(json.dumps(e) + "\n" for e in events))
    out = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit):
        main(["replay", str(source), "--output", str(out)])
    beef = json.loads(out.read_text().splitlines()[0])
    assert beef["status"] == "notified"
    assert beef["references"] == ["CHEDP.NL.2026.0000099"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", ":2: "),
        (
            '{"type": "manifest.wrong", "time": "2026-01-01T00:00:00Z", "data": {}}',
            "type 'manifest.wrong'",
        ),
        ('{"type": "manifest.arrival", "time": "yesterday", "data": {}}', "not an RFC 3339"),
        (
            '{"type": "manifest.arrival", "time": "2026-01-01T00:00:00", "data": {}}',
            "no UTC offset",
        ),
        (
            '{"type": "manifest.arrival", "time": "2026-01-01T00:00:00Z", "data": {"manifest_id": "M"}}',
            "data.arrived_at",
        ),
    ],
)
def test_a_malformed_line_is_refused_with_its_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    source = tmp_path / "bad.jsonl"
    first = json.dumps(demo_events()[0].to_replay())
    source.write_text(first + "\n" + line + "\n")
    with pytest.raises(SystemExit) as exit_:
        main(["replay", str(source)])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert f"{source}:2: " in error
    assert message in error


def test_expectations_are_scored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, expect, out = tmp_path / "demo.jsonl", tmp_path / "expect.jsonl", tmp_path / "out.jsonl"
    write_demo(source)
    manifest = "DEMO-EMMA-248W"
    expect.write_text(
        "".join(
            json.dumps({"manifest_id": manifest, "line_id": line, "status": status}) + "\n"
            for line, status in (("1", "unnotified"), ("2", "notified"), ("3", "notified"))
        )
    )
    with pytest.raises(SystemExit) as exit_:
        main(["replay", str(source), "--output", str(out), "--expect", str(expect)])
    assert exit_.value.code == 0
    report = capsys.readouterr().out
    scores = report.split("unnotified flags")[0]
    rows = {
        line.split()[0]: line.split()[1:]
        for line in scores.splitlines()
        if line and line.split()[0] in ("unnotified", "notified", "not_controlled")
    }
    assert rows["unnotified"][:3] == ["1.000", "1.000", "1.000"]
    assert rows["notified"][:3] == ["1.000", "0.500", "0.667"]
    assert "unnotified flags: 1 right, 0 false, 0 missed of 3 lines" in report


def proposal_without_beef(folder: Path) -> Path:
    """The shipped set as an analyst keeps it (a directory of CSV files), minus bovine meat."""
    shipped = resources.files("pnm.matcher.data").joinpath("v3")
    proposal = folder / "v3-no-beef"
    proposal.mkdir()
    for entry in shipped.iterdir():
        text = entry.read_text(encoding="utf-8")
        if entry.name == "indicators.csv":
            text = "".join(
                row for row in text.splitlines(keepends=True) if not row.startswith("vet,0201,")
            )
        (proposal / entry.name).write_text(text, encoding="utf-8")
    return proposal


def test_compare_lists_the_decisions_a_new_set_would_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "demo.jsonl"
    write_demo(source)
    shipped = resources.files("pnm.matcher.data").joinpath("v3")
    with pytest.raises(SystemExit) as exit_:
        main(
            ["replay", str(source), "--compare", str(shipped), str(proposal_without_beef(tmp_path))]
        )
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "v3 -> v3-no-beef: 1 of 3 decisions change" in out
    assert "DEMO-EMMA-248W/1: unnotified -> not_controlled" in out
    assert "unnotified -> not_controlled: 1" in out


def test_replay_under_a_given_set_records_its_version(tmp_path: Path) -> None:
    source, output = tmp_path / "demo.jsonl", tmp_path / "out.jsonl"
    write_demo(source)
    proposal = proposal_without_beef(tmp_path)
    with pytest.raises(SystemExit):
        main(["replay", str(source), "--indicators", str(proposal), "--output", str(output)])
    decisions = [json.loads(line) for line in output.read_text().splitlines()]
    assert {d["indicator_set_version"] for d in decisions} == {"v3-no-beef"}
    assert decisions[0]["status"] == "not_controlled"


def test_a_bad_indicator_set_stops_the_replay_with_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "demo.jsonl"
    write_demo(source)
    broken = proposal_without_beef(tmp_path)
    (broken / "parameters.json").write_text('{"review_threshold": 99}')
    with pytest.raises(SystemExit) as exit_:
        main(["replay", str(source), "--indicators", str(broken)])
    assert exit_.value.code == 2
    assert "review_threshold" in capsys.readouterr().err
