"""Apply consumed events exactly once: the inbox row and the state change share a transaction.

A batch is first applied in one transaction (the fast path). If anything in it fails, it is
split in halves and each half applied on its own, down to the single events that fail: the good
events commit at once (about 2·log2(n) transactions for one poison event in n), and only the
poison ones are retried with backoff. What still fails is handed to the service's
`Unprocessable` step for its topic (e.g. the matcher decides the line `review`), in a fresh
transaction; only when there is none, or it cannot take the event either, does it go to the
dead-letter sink with its origin and error. One poison message never stops a partition.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Watermark
from pnm.shared.contracts.topics import ALL_TOPICS
from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.transport import DeadLetterSink, IncomingMessage
from pnm.shared.observability import (
    EVENTS_CONSUMED,
    HANDLER_SECONDS,
    correlation_id,
    log_fields,
)

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]
# Watermarks are kept as "the latest wins": applying one twice is harmless, and recording
# each in the inbox (a dozen a second, docs/watermark.md) would grow it without end.
NOT_IN_INBOX = frozenset(
    event_type for topic in ALL_TOPICS for event_type, record in topic.others if record is Watermark
)
# The service's last word on an event that cannot be applied, given the error: True when it
# recorded an outcome people will see; False when it cannot either (then it is dead-lettered).
Unprocessable = Callable[[UnitOfWork, CloudEvent, BaseException], Awaitable[bool]]


class MalformedMessage(ValueError):
    """The bytes are not a CloudEvent this consumer can read; retrying cannot help."""


class UnknownEventType(ValueError):
    pass


class TransientFailure(Exception):
    """The database (or the network) is away: the message is fine and must be applied later,
    not dead-lettered. The caller stops, keeps the offset, and tries the batch again."""


def is_transient(err: BaseException) -> bool:
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, OperationalError | InterfaceError | ConnectionError | TimeoutError)


@dataclass(frozen=True)
class _Parsed:
    message: IncomingMessage
    event: CloudEvent


class EventProcessor:
    def __init__(
        self,
        *,
        service: str,
        consumer: str,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[str, Handler],
        dead_letters: DeadLetterSink,
        max_attempts: int = 3,
        retry_backoff: float = 0.2,
        unprocessable: Mapping[str, Unprocessable] | None = None,
    ) -> None:
        self._service = service
        self.consumer = consumer
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._unprocessable = dict(unprocessable or {})

    @property
    def topics(self) -> list[str]:
        return list(self._handlers)

    async def process(self, messages: Sequence[IncomingMessage]) -> None:
        parsed: list[_Parsed] = []
        for message in messages:
            try:
                parsed.append(_Parsed(message, self._parse(message)))
            except MalformedMessage as err:
                await self._dead_letter(message, err, attempts=1)
        if not parsed:
            return
        started = time.perf_counter()
        for item, error in await self._isolate(parsed):
            await self._settle(item, error)
        HANDLER_SECONDS.labels(self._service, parsed[0].message.topic).observe(
            time.perf_counter() - started
        )

    async def _isolate(self, items: Sequence[_Parsed]) -> list[tuple[_Parsed, Exception]]:
        """Apply `items`; when that fails, each half on its own, so that the good events commit
        without waiting for the poison ones, which are returned with their error."""
        try:
            await self._apply(items)
            return []
        except Exception as failed:
            if is_transient(failed):
                raise TransientFailure(repr(failed)) from failed
            if len(items) == 1:
                return [(items[0], failed)]
            log.warning(
                "batch failed, applying its halves",
                extra=log_fields(consumer=self.consumer, size=len(items), error=repr(failed)),
            )
        middle = len(items) // 2
        return [*await self._isolate(items[:middle]), *await self._isolate(items[middle:])]

    def _parse(self, message: IncomingMessage) -> CloudEvent:
        if message.topic not in self._handlers:
            raise MalformedMessage(f"no handler for topic {message.topic}")
        try:
            return CloudEvent.from_json(message.value)
        except ValidationError as err:
            raise MalformedMessage(f"not a CloudEvent: {err.errors()[:3]}") from err

    async def _apply(self, items: Sequence[_Parsed]) -> None:
        async with self._uow_factory() as uow:
            fresh = await self._record_in_inbox(
                uow, [i for i in items if i.event.type not in NOT_IN_INBOX]
            )
            fresh |= {i.event.id for i in items if i.event.type in NOT_IN_INBOX}
            for item in items:
                if item.event.id not in fresh:
                    EVENTS_CONSUMED.labels(self._service, item.message.topic, "duplicate").inc()
                    continue
                fresh.discard(item.event.id)  # a duplicate inside the same batch
                token = correlation_id.set(item.event.correlationid)
                try:
                    await self._handlers[item.message.topic](uow, item.event)
                finally:
                    correlation_id.reset(token)
                EVENTS_CONSUMED.labels(self._service, item.message.topic, "applied").inc()
            await uow.commit()

    async def _record_in_inbox(self, uow: UnitOfWork, items: Sequence[_Parsed]) -> set[str]:
        if not items:
            return set()
        inbox = uow.messaging.inbox
        rows = {
            item.event.id: {
                "consumer": self.consumer,
                "event_id": item.event.id,
                "topic": item.message.topic,
            }
            for item in items
        }
        # Parameters as a list (insertmanyvalues): compiled once, not once per row.
        result = await uow.conn.execute(
            pg_insert(inbox)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(inbox.c.event_id),
            list(rows.values()),
        )
        return set(result.scalars())

    async def _settle(self, item: _Parsed, err: Exception) -> None:
        """A poison event: retried with backoff (a conflict with a concurrent transaction
        passes), then given to the service's unprocessable step, else dead-lettered."""
        for attempt in range(2, self._max_attempts + 1):
            await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 2))
            try:
                await self._apply([item])
                return
            except Exception as again:
                if is_transient(again):
                    raise TransientFailure(repr(again)) from again
                err = again  # the latest error is the one reported
        attempts = max(self._max_attempts, 1)
        step = self._unprocessable.get(item.message.topic)
        if step is not None:
            try:
                if await self._apply_unprocessable(item, step, err):
                    return
            except Exception as failed:
                if is_transient(failed):
                    raise TransientFailure(repr(failed)) from failed
                log.error(
                    "unprocessable step failed",
                    extra=log_fields(consumer=self.consumer, error=repr(failed)),
                )
        await self._dead_letter(item.message, err, attempts=attempts)

    async def _apply_unprocessable(
        self, item: _Parsed, step: Unprocessable, err: Exception
    ) -> bool:
        async with self._uow_factory() as uow:
            if not await self._record_in_inbox(uow, [item]):
                return True  # applied meanwhile (a redelivery in another transaction)
            token = correlation_id.set(item.event.correlationid)
            try:
                if not await step(uow, item.event, err):
                    return False
            finally:
                correlation_id.reset(token)
            await uow.commit()
        log.warning(
            "event decided as unprocessable",
            extra=log_fields(
                consumer=self.consumer,
                topic=item.message.topic,
                partition=item.message.partition,
                offset=item.message.offset,
                error=repr(err),
            ),
        )
        EVENTS_CONSUMED.labels(self._service, item.message.topic, "unprocessable").inc()
        return True

    async def _dead_letter(
        self, message: IncomingMessage, err: BaseException, attempts: int
    ) -> None:
        log.error(
            "dead-lettering message",
            extra=log_fields(
                consumer=self.consumer,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                error=repr(err),
                attempts=attempts,
            ),
        )
        await self._dead_letters.dead_letter(self.consumer, message, err, attempts)
        EVENTS_CONSUMED.labels(self._service, message.topic, "dead_lettered").inc()


def dispatch_by_type(handlers: Mapping[str, Handler]) -> Handler:
    """One topic carries several event types; an unknown type is poison for this consumer."""

    async def handle(uow: UnitOfWork, event: CloudEvent) -> None:
        handler = handlers.get(event.type)
        if handler is None:
            raise UnknownEventType(f"unknown event type {event.type!r}")
        await handler(uow, event)

    return handle
