"""Topics and event types: `<domain>.<stream>.v<major>`, each with a dead-letter twin."""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str  # what the partition key is, for the documentation and the AsyncAPI

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


PRENOTIFICATIONS = Topic("prenotification.records.v1", 6, "pre-notification reference")
MANIFEST_LINES = Topic("manifest.lines.v1", 6, "manifest_id/line_id")
MANIFEST_ARRIVALS = Topic("manifest.arrivals.v1", 3, "manifest_id")
DECISIONS = Topic("matcher.decisions.v1", 6, "manifest_id/line_id")
TERMINAL_INSTRUCTIONS = Topic("holds.terminal-instructions.v1", 3, "terminal code")
TERMINAL_ACKS = Topic("holds.terminal-acks.v1", 3, "terminal code")
HOLD_STATES = Topic("holds.states.v1", 3, "hold id")

ALL_TOPICS: tuple[Topic, ...] = (
    PRENOTIFICATIONS,
    MANIFEST_LINES,
    MANIFEST_ARRIVALS,
    DECISIONS,
    TERMINAL_INSTRUCTIONS,
    TERMINAL_ACKS,
    HOLD_STATES,
)


class EventType:
    PRENOTIFICATION_SUBMITTED = "nl.pnm.prenotification.submitted"
    PRENOTIFICATION_AMENDED = "nl.pnm.prenotification.amended"
    MANIFEST_LINE_DECLARED = "nl.pnm.manifest.line.declared"
    MANIFEST_LINE_AMENDED = "nl.pnm.manifest.line.amended"
    MANIFEST_LINE_WITHDRAWN = "nl.pnm.manifest.line.withdrawn"
    ARRIVAL = "nl.pnm.manifest.arrival"
    DECISION_CHANGED = "nl.pnm.matcher.decision.changed"
    TERMINAL_INSTRUCTION = "nl.pnm.holds.terminal.instruction"
    TERMINAL_ACK = "nl.pnm.holds.terminal.ack"
    HOLD_STATE_CHANGED = "nl.pnm.holds.hold.state-changed"
