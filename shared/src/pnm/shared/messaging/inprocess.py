"""The standalone transport: the relay hands events straight to the subscribed processors
and marks them published only after every subscriber has committed them, so a crash in
standalone mode loses nothing either. Dead letters go to the consumer's own table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import count

from sqlalchemy import insert

from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.processor import EventProcessor
from pnm.shared.messaging.transport import IncomingMessage, OutgoingMessage


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[EventProcessor]] = defaultdict(list)
        self._offsets: dict[str, count[int]] = defaultdict(count)

    def subscribe(self, processor: EventProcessor) -> None:
        for topic in processor.topics:
            self._subscribers[topic].append(processor)

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        by_topic: dict[str, list[IncomingMessage]] = defaultdict(list)
        for m in messages:
            by_topic[m.topic].append(
                IncomingMessage(
                    topic=m.topic,
                    partition=m.partition or 0,
                    offset=next(self._offsets[m.topic]),
                    key=m.key.encode(),
                    value=m.value,
                    headers=m.headers,
                )
            )
        for topic, incoming in by_topic.items():
            for processor in self._subscribers.get(topic, ()):
                await processor.process(incoming)


class TableDeadLetters:
    """Dead letters of the standalone mode, kept in the consuming service's schema."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory

    async def dead_letter(
        self, consumer: str, message: IncomingMessage, error: BaseException, attempts: int
    ) -> None:
        async with self._uow_factory() as uow:
            await uow.conn.execute(
                insert(uow.messaging.dead_letter).values(
                    consumer=consumer,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key.decode() if message.key else None,
                    payload=message.value,
                    error=f"{type(error).__name__}: {error}",
                    attempts=attempts,
                )
            )
            await uow.commit()
