"""What travels between a relay and the consumers, whatever carries it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    value: bytes
    headers: Headers = field(default_factory=list)
    # None: the partition of the key. Set for what must reach one partition in particular
    # (a watermark is stamped on each partition of its topic).
    partition: int | None = None


@dataclass(frozen=True)
class IncomingMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers = field(default_factory=list)


class Publisher(Protocol):
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Return only when every message is durably accepted; raise otherwise."""


class DeadLetterSink(Protocol):
    async def dead_letter(
        self, consumer: str, message: IncomingMessage, error: BaseException, attempts: int
    ) -> None:
        """Keep a message that cannot be applied, with its origin and the error."""


def dead_letter_headers(
    consumer: str, message: IncomingMessage, error: BaseException, attempts: int
) -> Headers:
    """Origin and error in headers, so the DLQ can be inspected and re-driven."""
    return [
        *message.headers,
        ("dlq.origin.topic", message.topic.encode()),
        ("dlq.origin.partition", str(message.partition).encode()),
        ("dlq.origin.offset", str(message.offset).encode()),
        ("dlq.consumer", consumer.encode()),
        ("dlq.error.class", type(error).__name__.encode()),
        ("dlq.error.message", str(error)[:2000].encode()),
        ("dlq.attempts", str(attempts).encode()),
    ]
