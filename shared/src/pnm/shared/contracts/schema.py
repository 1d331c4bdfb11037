"""JSON Schema of every canonical record and of the CloudEvents envelope.

The schemas are generated from the pydantic models (the models are the source of truth) and
committed under `shared/schemas/` so that feeds, terminals and tools outside Python can validate
against them. A unit test fails when a model changes and the committed files were not
regenerated; regenerate from the workspace root with

    python -c "from pathlib import Path; from pnm.shared.contracts.schema import write_schemas; \
write_schemas(Path('shared/schemas'))"

Each schema's `$id` is the `dataschema` that `new_event` puts on the envelope of that record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pnm.shared.contracts import records
from pnm.shared.contracts.envelope import SCHEMA_BASE, CloudEvent

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# File stem → model. The stems are part of the published contract: do not rename.
MODELS: dict[str, type[BaseModel]] = {
    "manifest-line": records.ManifestLine,
    "arrival": records.Arrival,
    "pre-notification": records.PreNotification,
    "decision": records.Decision,
    "terminal-instruction": records.TerminalInstruction,
    "terminal-ack": records.TerminalAck,
    "irregularity": records.Irregularity,
    "hold-state-changed": records.HoldStateChanged,
    "case-changed": records.CaseChanged,
    "eta-update": records.EtaUpdate,
    "feed-status": records.FeedStatus,
    "certificate-overdue": records.CertificateOverdue,
    "watermark": records.Watermark,
    "cloudevent": CloudEvent,
}

SUFFIX = ".schema.json"


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a model validates its input against."""
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_BASE + model.__name__,
        **schema,
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name (e.g. `manifest-line.schema.json`) → schema, for every published model."""
    return {stem + SUFFIX: schema_of(model) for stem, model in MODELS.items()}


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: indent 2, sorted keys, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory` (created if missing); returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("shared/schemas")
    for path in write_schemas(target):
        print(path)
