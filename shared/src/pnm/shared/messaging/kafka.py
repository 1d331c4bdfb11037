"""Kafka adapters: idempotent publisher, dead-letter topics, and the consumer loop that commits
offsets only after the database commit and only for partitions it still owns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from pnm.shared.contracts.topics import DLQ_SUFFIX
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.shared.messaging.lag import ConsumerLag
from pnm.shared.messaging.processor import EventProcessor, TransientFailure
from pnm.shared.messaging.transport import (
    IncomingMessage,
    OutgoingMessage,
    dead_letter_headers,
)
from pnm.shared.observability import DLQ_MESSAGES, Heartbeat, log_fields

log = logging.getLogger(__name__)


def make_producer(bootstrap: str, client_id: str, security: KafkaSecurity) -> AIOKafkaProducer:
    # Idempotent producer: broker-side de-duplication of retried sends, order kept per
    # partition. Duplicates across relay restarts are left to the consumers' inbox.
    return AIOKafkaProducer(
        **kafka_client_options(bootstrap, security),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
    )


async def _started(client: AIOKafkaProducer | AIOKafkaConsumer) -> None:
    """Start a Kafka client; one that cannot start (the broker away) is closed before the error
    goes on, else every retry leaves an open client behind."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise


class ResilientProducer:
    """An idempotent producer that is replaced by a new one when it stops delivering: after a
    broker restart a producer can wait for its batches forever. A send that does not complete
    in time fails (the outbox keeps the rows; consumers skip the duplicates)."""

    def __init__(
        self, bootstrap: str, client_id: str, security: KafkaSecurity, timeout: float = 30.0
    ) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._client_id = client_id
        self.timeout = timeout
        self._producer: AIOKafkaProducer | None = None
        self._resetting = asyncio.Lock()

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("producer not started")
        return self._producer

    async def start(self) -> None:
        producer = make_producer(self._bootstrap, self._client_id, self._security)
        await _started(producer)
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await asyncio.wait_for(self._producer.stop(), timeout=self.timeout)

    async def reset(self, failed: AIOKafkaProducer) -> None:
        async with self._resetting:
            if id(self._producer) != id(failed):
                return  # another caller replaced it already
            log.warning("replacing the Kafka producer", extra=log_fields(client=self._client_id))
            await self.start()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(failed.stop(), timeout=5)

    async def deliver(self, send: Callable[[AIOKafkaProducer], Awaitable[None]]) -> None:
        producer = self.producer
        try:
            await asyncio.wait_for(send(producer), timeout=self.timeout)
        except (KafkaError, TimeoutError):
            with contextlib.suppress(Exception):
                await self.reset(producer)
            raise


class KafkaPublisher:
    """`prefix` namespaces every topic name on the cluster (e.g. `acc.` for an acceptance
    environment sharing a cluster); the code only ever sees the logical names."""

    def __init__(self, producer: ResilientProducer, prefix: str = "") -> None:
        self._producer = producer
        self._prefix = prefix

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        async def send(producer: AIOKafkaProducer) -> None:
            futures = [
                await producer.send(
                    self._prefix + m.topic,
                    m.value,
                    key=m.key.encode(),
                    partition=m.partition,
                    headers=m.headers or None,
                )
                for m in messages
            ]
            await asyncio.gather(*futures)

        await self._producer.deliver(send)


class KafkaDeadLetters:
    def __init__(self, producer: ResilientProducer, service: str, prefix: str = "") -> None:
        self._producer = producer
        self._service = service
        self._prefix = prefix

    async def dead_letter(
        self, consumer: str, message: IncomingMessage, error: BaseException, attempts: int
    ) -> None:
        async def send(producer: AIOKafkaProducer) -> None:
            await producer.send_and_wait(
                self._prefix + message.topic + DLQ_SUFFIX,
                message.value,
                key=message.key,
                headers=dead_letter_headers(consumer, message, error, attempts),
            )

        await self._producer.deliver(send)
        DLQ_MESSAGES.labels(self._service, message.topic).inc()


@dataclass(frozen=True)
class GroupMembership:
    """How a member joins its group and how soon the group notices it is gone.

    With an `instance_id` (static membership, KIP-345) a member restarted within the session
    timeout takes back its own partitions at once, without a rebalance; without one, the group
    waits for the dead member's session to expire before handing its partitions on, so a short
    session timeout bounds the pause after a crash."""

    instance_id: str | None = None
    session_timeout_ms: int = 10_000
    lag_interval_seconds: float = 5.0

    @property
    def heartbeat_interval_ms(self) -> int:
        # A third of the session, as Kafka recommends: two beats may be lost before expiry.
        return max(self.session_timeout_ms // 3, 100)


class KafkaConsumerLoop:
    """One consumer group member. Processing and offset commits share a lock with the
    rebalance listener, so a revoked partition's offsets are committed after the batch
    that was being applied, never before its database commit."""

    def __init__(
        self,
        *,
        processor: EventProcessor,
        topics: Sequence[str],
        group_id: str,
        bootstrap: str,
        security: KafkaSecurity,
        batch_size: int,
        heartbeat: Heartbeat,
        prefix: str = "",
        membership: GroupMembership | None = None,
        lag: ConsumerLag | None = None,
    ) -> None:
        self._membership = membership or GroupMembership()
        self.lag = lag or ConsumerLag(group_id)
        self._applied: dict[TopicPartition, int] = {}
        self._processor = processor
        self._prefix = prefix
        self._topics = [prefix + t for t in topics]
        self._group_id = group_id
        self._bootstrap = bootstrap
        self._security = security
        self._batch_size = batch_size
        self._heartbeat = heartbeat
        self._lock = asyncio.Lock()
        self._pending: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stopped; a crash of the client is logged and the member re-joins."""
        while not self._stopping.is_set():
            try:
                await self._run_member()
            except Exception:
                log.exception(
                    "consumer crashed; re-joining", extra=log_fields(group=self._group_id)
                )
                await asyncio.sleep(2)
        self._heartbeat.stopped = True

    async def _run_member(self) -> None:
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self._bootstrap, self._security),
            group_id=self._group_id,
            client_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
            group_instance_id=self._membership.instance_id,
            session_timeout_ms=self._membership.session_timeout_ms,
            heartbeat_interval_ms=self._membership.heartbeat_interval_ms,
        )
        self._consumer = consumer
        consumer.subscribe(self._topics, listener=_Listener(self))
        await _started(consumer)
        measuring = asyncio.create_task(self._measure_lag(consumer), name="consumer lag")
        try:
            while not self._stopping.is_set():
                try:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
                except KafkaError as err:
                    # The broker is away or the group is rebalancing: the client reconnects;
                    # not beating meanwhile makes the service report not ready.
                    log.warning("fetch failed", extra=log_fields(error=repr(err)))
                    await asyncio.sleep(1)
                    continue
                self._heartbeat.beat()
                if batches:
                    async with self._lock:
                        applied = await self._apply(consumer, batches)
                        await self._commit(consumer)
                    if not applied:
                        await asyncio.sleep(1)  # the database or the DLQ is away: back off
        finally:
            measuring.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await measuring
            self._applied.clear()
            self.lag.reset()
            async with self._lock:
                await self._commit(consumer)
            await consumer.stop()

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Every `lag_interval_seconds`: the broker's end offset of each owned partition minus
        what this member has applied (or, before its first batch, what the group committed)."""
        while True:
            try:
                await self._measure_once(consumer)
            except Exception as err:
                # The broker is away or a rebalance took a partition meanwhile: the last
                # figures stand until the next round.
                log.info("consumer lag not measured", extra=log_fields(error=repr(err)))
            await asyncio.sleep(self._membership.lag_interval_seconds)

    async def _measure_once(self, consumer: AIOKafkaConsumer) -> None:
        owned = set(consumer.assignment())
        self.lag.forget({(tp.topic, tp.partition) for tp in owned})
        if not owned:
            return  # not in the group yet, or a rebalance is under way
        ends = await asyncio.wait_for(consumer.end_offsets(list(owned)), timeout=10)
        unknown = [tp for tp in owned if tp not in self._applied]
        starts = (
            await asyncio.wait_for(consumer.beginning_offsets(unknown), timeout=10)
            if unknown
            else {}
        )
        for tp in unknown:
            committed = await asyncio.wait_for(consumer.committed(tp), timeout=10)
            start = committed if committed is not None else starts[tp]
            if tp not in consumer.assignment():
                continue  # revoked meanwhile: its offset is the next owner's to know
            # A batch applied meanwhile moved it on already: keep the later of the two.
            self._applied[tp] = max(self._applied.get(tp, start), start)
        for tp in owned & set(ends) & set(self._applied):
            self.lag.record(tp.topic, tp.partition, ends[tp] - self._applied[tp])
        self.lag.measured = True

    async def _apply(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list],  # type: ignore[type-arg]
    ) -> bool:
        """Apply the fetched records of all partitions in one transaction (per-transaction
        costs are paid once, not per partition); False when an outage stopped it, and every
        partition is read again from where the batch began (the inbox skips what was applied)."""
        owned = {tp: records for tp, records in batches.items() if tp in consumer.assignment()}
        if not owned:  # revoked while we were fetching: the new owner re-reads them
            return True
        try:
            await self._processor.process(
                [
                    IncomingMessage(
                        topic=r.topic.removeprefix(self._prefix),
                        partition=r.partition,
                        offset=r.offset,
                        key=r.key,
                        value=r.value,
                        headers=list(r.headers or ()),
                    )
                    for records in owned.values()
                    for r in records
                ]
            )
        except (TransientFailure, KafkaError) as err:
            # Not the messages' fault: read them again after a pause.
            log.warning("batch deferred", extra=log_fields(error=repr(err)))
            for tp, records in owned.items():
                consumer.seek(tp, records[0].offset)
            return False
        for tp, records in owned.items():
            self._pending[tp] = records[-1].offset + 1
            self._applied[tp] = self._pending[tp]
            highwater = consumer.highwater(tp)
            if highwater is not None:
                self.lag.record(tp.topic, tp.partition, highwater - self._pending[tp])
        return True

    async def _commit(
        self, consumer: AIOKafkaConsumer, only: set[TopicPartition] | None = None
    ) -> None:
        owned = consumer.assignment()
        offsets = {
            tp: OffsetAndMetadata(off, "")
            for tp, off in self._pending.items()
            if tp in owned and (only is None or tp in only)
        }
        if not offsets:
            return
        try:
            # aiokafka retries a commit for as long as the broker is away; bound it so a
            # shutdown or a rebalance is not held up, the inbox makes a later re-read harmless.
            await asyncio.wait_for(consumer.commit(offsets), timeout=10)
        except (KafkaError, TimeoutError) as err:
            # Not fatal: the events are applied and recorded in the inbox; whoever reads
            # them again skips them.
            log.warning("offset commit failed", extra=log_fields(error=repr(err)))
            return
        for tp in offsets:
            self._pending.pop(tp, None)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        if self._consumer is None:
            return
        async with self._lock:
            await self._commit(self._consumer, only=set(revoked))
            for tp in revoked:
                self._pending.pop(tp, None)
                self._applied.pop(tp, None)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: KafkaConsumerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._loop.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", extra=log_fields(partitions=sorted(map(str, assigned))))
