"""What the console keeps of each event (pure: records in, row values out)."""

from __future__ import annotations

from typing import Any

from pnm.shared.contracts.records import (
    CaseChanged,
    Decision,
    DecisionStatus,
    HoldStateChanged,
    ManifestLine,
)

# A decision that needs a hold: the moment a line first gets one is when we warned.
FLAGGED = frozenset(
    {
        DecisionStatus.OVERDUE,
        DecisionStatus.UNNOTIFIED,
        DecisionStatus.INVALID_NOTIFICATION,
    }
)
# Hold states in which the block instruction waits for the terminal's answer.
AWAITING_TERMINAL = ("requested", "instructed", "release_instructed")


def carrier(line: ManifestLine) -> str | None:
    return line.vessel_name or line.vessel_imo or line.flight_number


def line_facts(line: ManifestLine) -> dict[str, Any]:
    """The facts of a line version, and what the search box finds it by."""
    goods = "; ".join(g.description[:80] for g in line.goods[:3])
    return {
        "line_version": line.version,
        "mode": line.mode.value,
        "carrier": carrier(line),
        "bcp": line.port_of_discharge,
        "terminal": line.terminal,
        "eta": line.eta,
        "transport_document": line.transport_document.number,
        "containers": list(line.containers),
        "importer": line.consignee.name,
        "goods": goods[:300],
        "withdrawn": line.withdrawn,
    }


def decision_facts(decided: Decision) -> dict[str, Any]:
    first_reason = decided.reasons[0].text if decided.reasons else None
    return {
        "decision_number": decided.decision_number,
        "status": decided.status.value,
        "regimes": [r.value for r in decided.regimes],
        "references": list(decided.references),
        "reason": first_reason[:500] if first_reason else None,
        "indicator_set_version": decided.indicator_set_version,
        "decided_at": decided.decided_at,
    }


def is_flag(decided: Decision) -> bool:
    return decided.status in FLAGGED


def hold_facts(changed: HoldStateChanged) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "manifest_id": changed.manifest_id,
        "line_id": changed.line_id,
        "regime": changed.regime.value,
        "authority": changed.authority.value,
        "terminal": changed.terminal,
        "state": changed.state,
        "block_status": changed.block_status,
        "escalation": changed.escalation,
        "reason": changed.reason[:500] if changed.reason else None,
        "changed_at": changed.at,
    }
    return facts


def case_facts(changed: CaseChanged) -> dict[str, Any]:
    return {
        "manifest_id": changed.manifest_id,
        "line_id": changed.line_id,
        "state": changed.state,
        "outcome": changed.outcome,
        "indicators": list(changed.indicators),
        "closed_at": changed.at if changed.action == "closed" else None,
        "changed_at": changed.at,
    }
