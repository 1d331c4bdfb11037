"""The committed JSON Schemas (shared/schemas/) are those the pydantic models generate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pnm.shared.contracts.envelope import SCHEMA_BASE, CloudEvent, new_event
from pnm.shared.contracts.records import (
    Authority,
    CaseChanged,
    CertificateOverdue,
    ChedType,
    Decision,
    DecisionStatus,
    EtaUpdate,
    FeedStatus,
    HoldStateChanged,
    Irregularity,
    Party,
    Reason,
    Regime,
    RegimeDecision,
    TerminalAck,
    TerminalInstruction,
    Watermark,
)
from pnm.shared.contracts.schema import MODELS, json_schemas, render, write_schemas
from pnm.testing.records import arrival, container, manifest_line, prenotification

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"
REGENERATE = (
    'regenerate from the workspace root with: python -c "from pathlib import Path; '
    "from pnm.shared.contracts.schema import write_schemas; write_schemas(Path('shared/schemas'))\""
)
AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
GENERATED = json_schemas()

LINE = manifest_line("M-1", "1", hs_code="020130", description="Beef", containers=[container(1)])
SAMPLES: dict[str, BaseModel] = {
    "manifest-line.schema.json": LINE,
    "arrival.schema.json": arrival("M-1", containers=[container(1)]),
    "pre-notification.schema.json": prenotification(
        "CHEDP.NL.2026.0000001",
        ched_type=ChedType.CHED_P,
        cn_code="020130",
        description="Beef",
        containers=[container(1)],
    ),
    "decision.schema.json": Decision(
        manifest_id="M-1",
        line_id="1",
        line_version=1,
        decision_number=1,
        status=DecisionStatus.UNNOTIFIED,
        regimes=[Regime.VET],
        per_regime=[
            RegimeDecision(
                regime=Regime.VET,
                status=DecisionStatus.UNNOTIFIED,
                references=[],
                reasons=[Reason(code="arrived_unnotified", text="arrived")],
            )
        ],
        references=[],
        reasons=[Reason(code="arrived_unnotified", text="arrived")],
        explanation=[],
        indicator_set_version="v1",
        decided_at=AT,
        terminal="ECTDELTA",
        containers=[container(1)],
        transport_document="MAEU1",
    ),
    "terminal-instruction.schema.json": TerminalInstruction(
        instruction_id="i-1",
        hold_id="h-1",
        action="block",
        terminal="ECTDELTA",
        containers=[container(1)],
        transport_document=None,
        manifest_id="M-1",
        line_id="1",
        authority=Authority.NVWA,
        reason="unnotified",
        issued_at=AT,
        sequence=1,
    ),
    "terminal-ack.schema.json": TerminalAck(
        instruction_id="i-1", terminal="ECTDELTA", result="applied", at=AT
    ),
    "irregularity.schema.json": Irregularity(
        irregularity_id="x-1",
        hold_id="h-1",
        manifest_id="M-1",
        line_id="1",
        regime=Regime.VET,
        finding="no CHED-P",
        measures_statement="held",
        authority=Authority.NVWA,
        recorded_by="inspector",
        recorded_at=AT,
    ),
    "hold-state-changed.schema.json": HoldStateChanged(
        hold_id="h-1",
        manifest_id="M-1",
        line_id="1",
        regime=Regime.VET,
        authority=Authority.NVWA,
        state="instructed",
        terminal="ECTDELTA",
        containers=[container(1)],
        at=AT,
    ),
    "case-changed.schema.json": CaseChanged(
        case_id="c-1",
        manifest_id="M-1",
        line_id="1",
        state="open",
        action="notification_linked",
        references=["CHEDP.NL.2026.0000001"],
        indicators=["vet/cn:0201"],
        at=AT,
        by="douane-1",
    ),
    "eta-update.schema.json": EtaUpdate(manifest_id="M-1", eta=AT, containers=[container(1)]),
    "feed-status.schema.json": FeedStatus(
        system="dmf", last_record_at=AT, last_heartbeat_at=None, emergency=False, at=AT
    ),
    "certificate-overdue.schema.json": CertificateOverdue(
        reference="CHEDPP.NL.2026.0000001",
        ched_type=ChedType.CHED_PP,
        importer=Party(name="Van der Berg Import B.V.", country="NL"),
        expected_arrival=AT,
        due_at=AT,
        detected_at=AT,
    ),
    "watermark.schema.json": Watermark(partition=0, partitions=6, watermark=AT),
    "cloudevent.schema.json": new_event(
        type="nl.pnm.manifest.line.declared", source="/pnm/test", subject=LINE.key, record=LINE
    ),
}


def test_every_canonical_record_and_the_envelope_has_a_schema() -> None:
    assert set(GENERATED) == {
        "manifest-line.schema.json",
        "arrival.schema.json",
        "pre-notification.schema.json",
        "decision.schema.json",
        "terminal-instruction.schema.json",
        "terminal-ack.schema.json",
        "irregularity.schema.json",
        "hold-state-changed.schema.json",
        "case-changed.schema.json",
        "eta-update.schema.json",
        "feed-status.schema.json",
        "certificate-overdue.schema.json",
        "watermark.schema.json",
        "cloudevent.schema.json",
    }
    assert set(SAMPLES) == set(GENERATED)


def test_no_committed_schema_is_missing_or_stale() -> None:
    committed = {p.name for p in SCHEMAS.glob("*.schema.json")}
    missing = sorted(set(GENERATED) - committed)
    stale = sorted(committed - set(GENERATED))
    assert not missing, f"schemas not committed: {missing}; {REGENERATE}"
    assert not stale, f"schemas of no model (delete them): {stale}"


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_committed_schema_equals_the_generated_one(name: str) -> None:
    path = SCHEMAS / name
    assert path.exists(), f"{path} is missing; {REGENERATE}"
    committed = path.read_text(encoding="utf-8")
    assert committed == render(GENERATED[name]), (
        f"{path} differs from the model {MODELS[name.removesuffix('.schema.json')].__name__}; "
        f"{REGENERATE}"
    )


def test_render_is_pretty_sorted_and_ends_with_a_newline() -> None:
    text = render({"b": 1, "a": {"d": [1], "c": None}})
    assert text == '{\n  "a": {\n    "c": null,\n    "d": [\n      1\n    ]\n  },\n  "b": 1\n}\n'


def test_write_schemas(tmp_path: Path) -> None:
    target = tmp_path / "out"
    written = write_schemas(target)
    assert sorted(p.name for p in written) == sorted(GENERATED)
    for path in written:
        assert path.parent == target
        assert json.loads(path.read_text(encoding="utf-8")) == GENERATED[path.name]


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_schema_id_is_the_envelope_dataschema(name: str) -> None:
    schema = GENERATED[name]
    model = MODELS[name.removesuffix(".schema.json")]
    assert schema["$id"] == SCHEMA_BASE + model.__name__
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["title"] == model.__name__


def test_the_envelope_of_a_record_points_at_its_schema() -> None:
    e = SAMPLES["cloudevent.schema.json"]
    assert isinstance(e, CloudEvent)
    assert e.dataschema == GENERATED["manifest-line.schema.json"]["$id"]


def _object_schema(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return root["$defs"][ref.removeprefix("#/$defs/")]  # type: ignore[no-any-return]
    return schema


def _check_shape(instance: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> None:
    """A small structural check (properties, required, additionalProperties) of an instance,
    descending into nested objects: enough to catch a schema out of step with the model,
    without `jsonschema`, which is no dependency of the project."""
    schema = _object_schema(schema, root)
    if isinstance(instance, dict) and "properties" in schema:
        properties = schema["properties"]
        missing = set(schema.get("required", [])) - set(instance)
        assert not missing, f"{at}: required {sorted(missing)} absent from the record"
        if schema.get("additionalProperties") is False:
            extra = set(instance) - set(properties)
            assert not extra, f"{at}: {sorted(extra)} not in the schema"
        for key, value in instance.items():
            if key in properties:
                _check_shape(value, properties[key], root, f"{at}.{key}")
    elif isinstance(instance, list) and "items" in schema:
        for n, value in enumerate(instance):
            _check_shape(value, schema["items"], root, f"{at}[{n}]")


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_schema_fits_a_sample_record(name: str) -> None:
    schema = GENERATED[name]
    instance = json.loads(SAMPLES[name].model_dump_json())
    assert type(SAMPLES[name]) is MODELS[name.removesuffix(".schema.json")]
    _check_shape(instance, schema, schema, name)


def test_records_refuse_unknown_fields_in_their_schema() -> None:
    for name, schema in GENERATED.items():
        if name != "cloudevent.schema.json":
            assert schema["additionalProperties"] is False, name
    assert GENERATED["cloudevent.schema.json"].get("additionalProperties") is True
