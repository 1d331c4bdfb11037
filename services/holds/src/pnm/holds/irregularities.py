"""Irregularities for DFB (docs/irregularities.md): recorded by the hold's competent authority
with its written statement of measures; the hold takes RECORD_IRREGULARITY, the record is kept
and published on `holds.irregularities.v1`; a period's records (`irregularity_views`) are
exported as JSON or CSV. The caller commits."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pnm.holds.audit import Action, Actor
from pnm.holds.authority import authority_of
from pnm.holds.domain.hold import Transition
from pnm.holds.lifecycle import step
from pnm.holds.store import HoldStore
from pnm.shared.contracts.records import Irregularity, IrregularityParty
from pnm.shared.contracts.topics import IRREGULARITIES, EventType

# The CSV for DFB: this order is the contract (docs/irregularities.md); add columns at the end.
CSV_COLUMNS = (
    "irregularity_id",
    "recorded_at",
    "authority",
    "regime",
    "hold_id",
    "manifest_id",
    "line_id",
    "bcp",
    "terminal",
    "containers",
    "goods",
    "parties",
    "references",
    "finding",
    "measures_statement",
    "recorded_by",
)
# A spreadsheet would run a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Finding:
    finding: str
    measures_statement: str
    goods: str | None
    parties: list[IrregularityParty]
    references: list[str]
    bcp: str | None


class TooMany(ValueError):
    pass


async def record(
    store: HoldStore, hold_id: str, found: Finding, actor: Actor, now: datetime
) -> Irregularity:
    """The hold's authority records an irregularity (NotTheAuthority for anyone else,
    IllegalTransition when the hold's state does not allow one)."""
    row = await store.hold(hold_id)
    authority_of(row, actor, "record an irregularity on")
    recorded = Irregularity(
        irregularity_id=str(uuid.uuid4()),
        hold_id=row.hold_id,
        manifest_id=row.manifest_id,
        line_id=row.line_id,
        regime=row.regime,
        finding=found.finding,
        measures_statement=found.measures_statement,
        authority=row.authority,
        recorded_by=actor.subject,
        recorded_at=now,
        goods=found.goods,
        parties=found.parties,
        references=found.references,
        bcp=found.bcp,
        terminal=row.terminal or None,
        containers=list(row.containers),
    )
    await step(
        store,
        row,
        Transition.RECORD_IRREGULARITY,
        now,
        actor,
        reason=f"irregularity {recorded.irregularity_id}: {found.finding}",
    )
    document = recorded.model_dump(mode="json")
    await store.add_irregularity(recorded.irregularity_id, row.hold_id, now, document)
    await store.audit(
        Action(
            actor,
            "irregularity.recorded",
            "irregularity",
            recorded.irregularity_id,
            now,
            after=document,
            detail=f"hold {row.hold_id}",
        )
    )
    event_type = EventType.IRREGULARITY_RECORDED
    store.publish(IRREGULARITIES, row.hold_id, event_type, recorded, recorded.irregularity_id)
    return recorded


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _party(p: IrregularityParty) -> str:
    return f"{p.role}: {p.name}" + (f" ({p.eori})" if p.eori else "")


def as_csv(records: Iterable[Irregularity]) -> str:
    """One row per irregularity in CSV_COLUMNS order; lists joined with '; '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        values = {
            **r.model_dump(mode="json"),
            "containers": "; ".join(r.containers),
            "parties": "; ".join(_party(p) for p in r.parties),
            "references": "; ".join(r.references),
        }
        writer.writerow(
            [_cell(str(values[c] if values[c] is not None else "")) for c in CSV_COLUMNS]
        )
    return out.getvalue()
