"""Topics and event types: `<domain>.<stream>.v<major>`, each with a dead-letter twin."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pnm.shared.contracts.records import (
    Arrival,
    CaseChanged,
    CertificateOverdue,
    Decision,
    EtaUpdate,
    FeedStatus,
    HoldStateChanged,
    Irregularity,
    ManifestLine,
    PreNotification,
    Record,
    TerminalAck,
    TerminalInstruction,
    Watermark,
)

DLQ_SUFFIX = ".dlq"


class EventType:
    PRENOTIFICATION_SUBMITTED = "nl.pnm.prenotification.submitted"
    PRENOTIFICATION_AMENDED = "nl.pnm.prenotification.amended"
    PRENOTIFICATION_CANCELLED = "nl.pnm.prenotification.cancelled"
    PRENOTIFICATION_STATUS_CHANGED = "nl.pnm.prenotification.status-changed"
    PRENOTIFICATION_WATERMARK = "nl.pnm.prenotification.watermark"
    FEED_HEARTBEAT = "nl.pnm.prenotification.feed.heartbeat"
    FEED_EMERGENCY_STARTED = "nl.pnm.prenotification.feed.emergency-started"
    FEED_EMERGENCY_ENDED = "nl.pnm.prenotification.feed.emergency-ended"
    CERTIFICATE_OVERDUE = "nl.pnm.prenotification.certificate.overdue"
    MANIFEST_LINE_DECLARED = "nl.pnm.manifest.line.declared"
    MANIFEST_LINE_AMENDED = "nl.pnm.manifest.line.amended"
    MANIFEST_LINE_WITHDRAWN = "nl.pnm.manifest.line.withdrawn"
    ARRIVAL = "nl.pnm.manifest.arrival"
    ETA_UPDATED = "nl.pnm.manifest.eta-updated"
    DMF_FEED_ACTIVE = "nl.pnm.manifest.feed.active"
    DECISION_CHANGED = "nl.pnm.matcher.decision.changed"
    TERMINAL_INSTRUCTION = "nl.pnm.holds.terminal.instruction"
    TERMINAL_ACK = "nl.pnm.holds.terminal.ack"
    HOLD_STATE_CHANGED = "nl.pnm.holds.hold.state-changed"
    CASE_OPENED = "nl.pnm.holds.case.opened"
    CASE_CONTACT_RECORDED = "nl.pnm.holds.case.contact-recorded"
    CASE_NOTIFICATION_LINKED = "nl.pnm.holds.case.notification-linked"
    CASE_CLOSED = "nl.pnm.holds.case.closed"
    IRREGULARITY_RECORDED = "nl.pnm.holds.irregularity.recorded"
    # An instruction unanswered past the escalation time (the state is unchanged).
    HOLD_ESCALATED = "nl.pnm.holds.hold.escalated"


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str  # what the partition key is, for the documentation and the AsyncAPI
    record: type[Record]  # what `data` of every event on it is
    event_types: tuple[str, ...]
    producer: str  # the service (or party) that writes it
    consumers: tuple[str, ...]
    description: str
    # Event types on the topic whose `data` is another record than `record` (e.g. the
    # watermark the pre-notification relay stamps between the records).
    others: tuple[tuple[str, type[Record]], ...] = ()

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


PRENOTIFICATIONS = Topic(
    "prenotification.records.v1",
    6,
    "pre-notification reference",
    PreNotification,
    (
        EventType.PRENOTIFICATION_SUBMITTED,
        EventType.PRENOTIFICATION_AMENDED,
        EventType.PRENOTIFICATION_CANCELLED,
        EventType.PRENOTIFICATION_STATUS_CHANGED,
        EventType.PRENOTIFICATION_WATERMARK,
    ),
    "prenotification",
    ("matcher",),
    "Every accepted version of a pre-notification (Client Import, VGC, written), and on "
    "every partition a watermark: everything committed before it was published before it.",
    others=((EventType.PRENOTIFICATION_WATERMARK, Watermark),),
)
FEEDS = Topic(
    "prenotification.feeds.v1",
    3,
    "feed system",
    FeedStatus,
    (
        EventType.FEED_HEARTBEAT,
        EventType.FEED_EMERGENCY_STARTED,
        EventType.FEED_EMERGENCY_ENDED,
    ),
    "prenotification",
    ("matcher", "console"),
    "Feed heartbeats and declared emergency procedures, so the matcher can detect an outage.",
)
COMPLIANCE = Topic(
    "prenotification.compliance.v1",
    3,
    "pre-notification reference",
    CertificateOverdue,
    (EventType.CERTIFICATE_OVERDUE,),
    "prenotification",
    (),
    "Compliance findings at intake, e.g. a reduced-check certificate not registered in time.",
)
MANIFEST_LINES = Topic(
    "manifest.lines.v1",
    6,
    "manifest_id/line_id",
    ManifestLine,
    (
        EventType.MANIFEST_LINE_DECLARED,
        EventType.MANIFEST_LINE_AMENDED,
        EventType.MANIFEST_LINE_WITHDRAWN,
    ),
    "manifest-ingest",
    ("matcher", "console"),
    "Every new version of a DMF manifest line.",
)
MANIFEST_ARRIVALS = Topic(
    "manifest.arrivals.v1",
    3,
    "manifest_id",
    Arrival,
    (EventType.ARRIVAL,),
    "manifest-ingest",
    ("matcher", "console"),
    "A vessel or flight arrived, or only the listed containers were discharged.",
)
MANIFEST_ETA = Topic(
    "manifest.eta.v1",
    3,
    "manifest_id",
    EtaUpdate,
    (EventType.ETA_UPDATED,),
    "manifest-ingest",
    ("matcher", "console"),
    "A new expected arrival for a vessel or flight (or some of its containers).",
)
MANIFEST_FEEDS = Topic(
    "manifest.feeds.v1",
    1,
    "feed system",
    FeedStatus,
    (EventType.DMF_FEED_ACTIVE,),
    "manifest-ingest",
    ("console",),
    "The DMF feed is alive: sent at most once a minute while messages come in.",
)
DECISIONS = Topic(
    "matcher.decisions.v1",
    6,
    "manifest_id/line_id",
    Decision,
    (EventType.DECISION_CHANGED,),
    "matcher",
    ("holds", "console"),
    "The decision of a manifest line, re-issued (decision_number + 1) whenever it changes.",
)
HOLD_STATES = Topic(
    "holds.states.v1",
    3,
    "hold id",
    HoldStateChanged,
    (EventType.HOLD_STATE_CHANGED, EventType.HOLD_ESCALATED),
    "holds",
    ("console",),
    "Every state change of a hold, and its escalations (an instruction left unanswered).",
)
CASES = Topic(
    "holds.cases.v1",
    3,
    "manifest_id/line_id",
    CaseChanged,
    (
        EventType.CASE_OPENED,
        EventType.CASE_CONTACT_RECORDED,
        EventType.CASE_NOTIFICATION_LINKED,
        EventType.CASE_CLOSED,
    ),
    "holds",
    ("matcher", "console"),
    "Pre-arrival cases of held lines: a linked written pre-notification (its references) is "
    "to be matched as if the line quoted it; closing outcomes are labelled data per indicator.",
)
IRREGULARITIES = Topic(
    "holds.irregularities.v1",
    3,
    "hold id",
    Irregularity,
    (EventType.IRREGULARITY_RECORDED,),
    "holds",
    (),
    "Irregularities recorded by the competent authority, with its written statement of "
    "measures, for DFB (also GET /holds/irregularities as JSON or CSV).",
)

# A terminal reads only its own instructions and writes only its own answers, on Kafka too:
# one topic of each per terminal, which broker ACLs can guard (docs/terminal-protocol.md).
TERMINAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,48}$")


def _terminal_code(code: str) -> str:
    if not TERMINAL_CODE.fullmatch(code):
        raise ValueError(
            f"terminal code {code!r} cannot name a topic: letters, digits, '-' and '_', "
            "at most 49 characters"
        )
    return code


def terminal_instructions_topic(code: str) -> Topic:
    return _instructions(_terminal_code(code))


def terminal_acks_topic(code: str) -> Topic:
    return _acks(_terminal_code(code))


# The per-terminal topics with the code as a parameter, for the AsyncAPI document.
TERMINAL_PARAMETER = "{terminal}"


def terminal_topic_templates() -> tuple[Topic, Topic]:
    return _instructions(TERMINAL_PARAMETER), _acks(TERMINAL_PARAMETER)


def _instructions(code: str) -> Topic:
    return Topic(
        f"holds.instructions.{code}.v1",
        3,
        "hold id",
        TerminalInstruction,
        (EventType.TERMINAL_INSTRUCTION,),
        "holds",
        (f"terminal {code}",),
        f"Block and release instructions for terminal {code} only, in order per hold.",
    )


def _acks(code: str) -> Topic:
    return Topic(
        f"holds.acks.{code}.v1",
        3,
        "hold id",
        TerminalAck,
        (EventType.TERMINAL_ACK,),
        f"terminal {code}",
        ("holds",),
        f"Terminal {code}'s answers to its instructions (also accepted on POST /holds/acks); "
        "an ack naming another terminal is refused.",
    )


# The topics every deployment has; each registered terminal adds its own two
# (`with_terminals`).
ALL_TOPICS: tuple[Topic, ...] = (
    PRENOTIFICATIONS,
    FEEDS,
    COMPLIANCE,
    MANIFEST_LINES,
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_FEEDS,
    DECISIONS,
    HOLD_STATES,
    CASES,
    IRREGULARITIES,
)


def terminal_topics(code: str) -> tuple[Topic, Topic]:
    return terminal_instructions_topic(code), terminal_acks_topic(code)


def with_terminals(codes: Iterable[str]) -> tuple[Topic, ...]:
    """Every topic of a deployment whose terminal registry holds `codes`."""
    return ALL_TOPICS + tuple(t for code in sorted(codes) for t in terminal_topics(code))
