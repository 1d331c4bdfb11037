"""Apply consumed events exactly once: the inbox row and the state change share a transaction.

A batch is first applied in one transaction (the fast path). If anything in it fails, the
batch is re-applied one event at a time with bounded retries, and what still fails goes to the
dead-letter sink with its origin and error, so one poison message never stops a partition.
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
    ) -> None:
        self._service = service
        self.consumer = consumer
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff

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
        try:
            await self._apply(parsed)
        except Exception as err:
            if is_transient(err):
                raise TransientFailure(repr(err)) from err
            log.warning(
                "batch failed, applying one by one",
                extra=log_fields(consumer=self.consumer, size=len(parsed), error=repr(err)),
            )
            for item in parsed:
                await self._apply_with_retries(item)
        HANDLER_SECONDS.labels(self._service, parsed[0].message.topic).observe(
            time.perf_counter() - started
        )

    def _parse(self, message: IncomingMessage) -> CloudEvent:
        if message.topic not in self._handlers:
            raise MalformedMessage(f"no handler for topic {message.topic}")
        try:
            return CloudEvent.from_json(message.value)
        except ValidationError as err:
            raise MalformedMessage(f"not a CloudEvent: {err.errors()[:3]}") from err

    async def _apply(self, items: Sequence[_Parsed]) -> None:
        async with self._uow_factory() as uow:
            fresh = await self._record_in_inbox(uow, items)
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

    async def _apply_with_retries(self, item: _Parsed) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply([item])
                return
            except Exception as err:
                if is_transient(err):
                    raise TransientFailure(repr(err)) from err
                if attempt == self._max_attempts:
                    await self._dead_letter(item.message, err, attempts=attempt)
                    return
                await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))

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
