"""Typo keys by check digit: a container or air waybill that passes its check digit is keyed by
itself alone, one that fails it by the valid forms one edit away and its deletion
neighbourhood (`facts.typo_keys`). The stored lines and pre-notifications are keyed again;
decision epochs no longer tell typo keys of valid and invalid numbers apart.

The keys are computed by the domain code (`LineFacts`, `NotificationFacts`), as the matcher
computes them for every record it stores; the downgrade restores the deletion neighbourhoods
of the scheme before.

Revision ID: c41f0e7d9a23
Revises: 47a7724734ee
Create Date: 2026-11-27 13:05:00.000000
"""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.identifiers import air_waybill

revision: str = "c41f0e7d9a23"
down_revision: str | None = "47a7724734ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000
KeysOf = Callable[[LineFacts | NotificationFacts], Iterable[str]]


def upgrade() -> None:
    op.drop_column("decision_epoch", "near_valid", schema="matcher")
    op.drop_column("decision_epoch", "near_invalid", schema="matcher")
    # Epochs recorded with the old keys cannot be compared with new footprints.
    op.execute("DELETE FROM matcher.decision_epoch")
    _rekey(lambda facts: facts.block_keys)


def downgrade() -> None:
    for name in ("near_invalid", "near_valid"):
        op.add_column(
            "decision_epoch",
            sa.Column(name, postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
            schema="matcher",
        )
    op.execute("DELETE FROM matcher.decision_epoch")
    _rekey(_keys_before)


def _keys_before(facts: LineFacts | NotificationFacts) -> set[str]:
    """The block keys of the scheme before: every container's deletion neighbourhood, and that
    of an air waybill that passes its check digit."""
    scope = facts.vessel or "-"
    keys = {k for k in facts.block_keys if not k.startswith(("near-container:", "near-document:"))}
    keys.update(f"near-container:{scope}|{d}" for c in facts.containers for d in _deletions(c))
    document = facts.transport_document
    if document and air_waybill(document).valid:
        keys.update(f"near-document:{scope}|{d}" for d in _deletions(document))
    return keys


def _deletions(value: str) -> set[str]:
    return {value} | {value[:i] + value[i + 1 :] for i in range(len(value))}


def _rekey(keys_of: KeysOf) -> None:
    conn = op.get_bind()
    conn.execute(sa.text("TRUNCATE matcher.line_key, matcher.prenotification_key"))
    _rekey_lines(conn, keys_of)
    _rekey_notifications(conn, keys_of)


def _rekey_lines(conn: sa.Connection, keys_of: KeysOf) -> None:
    after = ("", "")
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT manifest_id, line_id, record FROM matcher.line"
                " WHERE (manifest_id, line_id) > (:m, :l) ORDER BY manifest_id, line_id LIMIT :n"
            ),
            {"m": after[0], "l": after[1], "n": BATCH},
        ).all()
        if not rows:
            return
        _write(
            conn,
            "line",
            ["manifest_id", "line_id"],
            [
                {
                    "manifest_id": r.manifest_id,
                    "line_id": r.line_id,
                    "keys": sorted(keys_of(LineFacts.of(ManifestLine.model_validate(r.record)))),
                }
                for r in rows
            ],
        )
        after = (rows[-1].manifest_id, rows[-1].line_id)


def _rekey_notifications(conn: sa.Connection, keys_of: KeysOf) -> None:
    after = ""
    while True:
        # Rows without facts predate the key tables and have no keys (never candidates).
        rows = conn.execute(
            sa.text(
                "SELECT reference, version, facts FROM matcher.prenotification"
                " WHERE reference > :r AND facts IS NOT NULL ORDER BY reference LIMIT :n"
            ),
            {"r": after, "n": BATCH},
        ).all()
        if not rows:
            return
        _write(
            conn,
            "prenotification",
            ["reference"],
            [
                {
                    "reference": r.reference,
                    "version": r.version,
                    "keys": sorted(keys_of(NotificationFacts.from_json(r.facts))),
                }
                for r in rows
            ],
            versioned=True,
        )
        after = rows[-1].reference


def _write(
    conn: sa.Connection,
    table: str,
    key: list[str],
    rows: list[dict[str, Any]],
    *,
    versioned: bool = False,
) -> None:
    """A batch's keys into the row (`block_keys`) and into its key table, two statements a
    batch: the rows travel as one JSON document."""
    columns = [*key, *(["version"] if versioned else []), "keys"]
    types = {"version": "integer", "keys": "text[]"}
    source = (
        "jsonb_to_recordset(CAST(:rows AS jsonb)) AS v("
        + ", ".join(f"{c} {types.get(c, 'text')}" for c in columns)
        + ")"
    )
    parameters = {"rows": json.dumps(rows)}
    conn.execute(
        sa.text(
            f"UPDATE matcher.{table} AS t SET block_keys = v.keys FROM {source} WHERE "
            + " AND ".join(f"t.{c} = v.{c}" for c in key)
        ),
        parameters,
    )
    written = [*key, *(["version"] if versioned else [])]
    conn.execute(
        sa.text(
            f"INSERT INTO matcher.{table}_key (key, {', '.join(written)})"
            f" SELECT unnest(v.keys), {', '.join(f'v.{c}' for c in written)} FROM {source}"
        ),
        parameters,
    )
