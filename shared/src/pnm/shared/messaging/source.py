"""A service as the `source` of the events it publishes: every record it stages goes into its
outbox as a CloudEvent with that source (docs/architecture.md, "Events and topics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import Record
from pnm.shared.contracts.topics import Topic


class Outbox(Protocol):
    """Where events are staged until the caller commits: a unit of work, or a store that
    stages through one (pnm.shared.intake.store)."""

    def publish(self, topic: Topic, key: str, event: CloudEvent) -> None: ...


@dataclass(frozen=True)
class EventSource:
    uri: str  # "/pnm/<service>"

    def publish(
        self,
        uow: Outbox,
        topic: Topic,
        key: str,
        event_type: str,
        record: Record,
        subject: str | None = None,
        *,
        correlation_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Stage `record` on `topic` under `key`; the event's subject is the key unless the
        record is about something else than what the topic is keyed by. `correlation_id`: the
        cause, when it is not the current request's; `data`: the record already dumped in JSON
        mode, when the caller has it."""
        event = new_event(
            type=event_type,
            source=self.uri,
            subject=key if subject is None else subject,
            record=record,
            correlation_id=correlation_id,
            data=data,
        )
        uow.publish(topic, key, event)
