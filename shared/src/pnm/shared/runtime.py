"""Hosts one or more services on one transport: Kafka (distributed) or in-process (standalone).

The same definitions, handlers, schemas and migrations run either way; only the publisher,
the consumer loop and the dead-letter sink differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared import migrations
from pnm.shared.auth import AuthSettings, TokenVerifier
from pnm.shared.clock import Clock, utc_now
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.dead_letter_api import dead_letter_router
from pnm.shared.http import (
    add_common_routes,
    add_error_handling,
    add_error_statuses,
    add_openapi_models,
)
from pnm.shared.idempotency import IdempotencyMiddleware, IdempotencySettings
from pnm.shared.messaging.deadletters import DeadLetters, KafkaDeadLetterTopics
from pnm.shared.messaging.inprocess import InProcessBus, TableDeadLetters
from pnm.shared.messaging.kafka import (
    GroupMembership,
    KafkaConsumerLoop,
    KafkaDeadLetters,
    KafkaPublisher,
    ResilientProducer,
)
from pnm.shared.messaging.kafka_security import KafkaSecurity, check_kafka_access
from pnm.shared.messaging.lag import ConsumerLag, catching_up
from pnm.shared.messaging.processor import EventProcessor
from pnm.shared.messaging.relay import OutboxRelay
from pnm.shared.messaging.transport import DeadLetterSink, Publisher
from pnm.shared.observability import Heartbeat, log_fields
from pnm.shared.reconciliation import UnreadableLedger
from pnm.shared.service import ServiceContext, ServiceDefinition

log = logging.getLogger(__name__)

Transport = Literal["kafka", "inprocess"]


@dataclass(frozen=True)
class RuntimeOptions:
    relay_batch_size: int = 2000
    relay_idle_seconds: float = 1.0
    relay_watermark_seconds: float = 0.5  # the longest a watermarked topic goes unstamped
    consumer_batch_size: int = 2000
    consumer_max_attempts: int = 3
    stuck_after_seconds: float = 60.0
    membership: GroupMembership = field(default_factory=GroupMembership)
    catching_up_above: int = 0  # readiness says "catching up" above this many messages


@dataclass
class HostedService:
    definition: ServiceDefinition
    context: ServiceContext
    relay: OutboxRelay
    processor: EventProcessor | None
    heartbeats: list[Heartbeat] = field(default_factory=list)
    lags: list[ConsumerLag] = field(default_factory=list)


class Pipeline:
    """`async with Pipeline(...) as p:` migrates, starts relays and consumers, and stops them
    gracefully on exit. `p.app` serves every hosted service under `/<service-name>`."""

    def __init__(
        self,
        definitions: Sequence[ServiceDefinition],
        *,
        database_url: str,
        transport: Transport,
        kafka_bootstrap: str | None = None,
        kafka_security: KafkaSecurity | None = None,
        topic_prefix: str = "",
        options: RuntimeOptions | None = None,
        clock: Clock = utc_now,
        engine: AsyncEngine | None = None,
    ) -> None:
        if transport == "kafka" and not kafka_bootstrap:
            raise ValueError("the Kafka transport needs a bootstrap address")
        self.definitions = list(definitions)
        self.transport: Transport = transport
        self.options = options or RuntimeOptions()
        self._database_url = database_url
        self._bootstrap = kafka_bootstrap
        self._security = kafka_security
        self._prefix = topic_prefix
        self._clock = clock
        self._own_engine = engine is None
        self.engine = engine or make_engine(database_url)
        self.services: dict[str, HostedService] = {}
        self._producer: ResilientProducer | None = None
        self._bus = InProcessBus()
        self._consumers: list[KafkaConsumerLoop] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.app = FastAPI(title="pnm", description="Pre-notification matching")
        self.verifier = TokenVerifier(AuthSettings())
        self._idempotency = IdempotencySettings()
        add_common_routes(
            self.app,
            self.engine,
            self._all_heartbeats,
            [self.verifier.readiness_problem],
            self._all_warnings,
            lambda: catching_up([lag for s in self.services.values() for lag in s.lags]),
        )

    def _all_heartbeats(self) -> list[Heartbeat]:
        return [hb for s in self.services.values() for hb in s.heartbeats]

    def _all_warnings(self) -> list[str]:
        return [w for s in self.services.values() for w in s.context.warnings.values()]

    async def __aenter__(self) -> Pipeline:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        for definition in self.definitions:
            await migrations.upgrade(self.engine, definition)
        publisher: Publisher
        if self.transport == "kafka":
            assert self._bootstrap is not None
            # Unless given: from PNM_KAFKA_* (read only for Kafka: standalone never needs it).
            self._security = self._security or KafkaSecurity()
            # Refused credentials stop the start with the reason, not a retry loop.
            await check_kafka_access(self._bootstrap, self._security)
            self._producer = ResilientProducer(self._bootstrap, "pnm-relay", self._security)
            await self._producer.start()
            publisher = KafkaPublisher(self._producer, self._prefix)
        else:
            publisher = self._bus
        for definition in self.definitions:
            hosted = self._host(definition, publisher)
            self.services[definition.name] = hosted
            self.app.mount(f"/{definition.name}", self._service_app(hosted))
            if definition.serves_pages:
                self.app.add_api_route(
                    "/",
                    _redirect_to(f"/{definition.name}/"),
                    include_in_schema=False,
                    methods=["GET"],
                )
        for hosted in self.services.values():
            self._tasks.append(
                asyncio.create_task(hosted.relay.run(), name=f"relay:{hosted.definition.name}")
            )
        for consumer in self._consumers:
            self._tasks.append(asyncio.create_task(consumer.run(), name="consumer"))
        for hosted in self.services.values():
            for loop in hosted.definition.background(hosted.context):
                self._tasks.append(asyncio.create_task(loop(self._stopping), name="background"))

    def _host(self, definition: ServiceDefinition, publisher: Publisher) -> HostedService:
        opts = self.options
        relay_hb = Heartbeat(f"{definition.name} outbox relay", opts.stuck_after_seconds)
        relay_ref: list[OutboxRelay] = []

        def uow_factory() -> UnitOfWork:
            return UnitOfWork(self.engine, definition.tables.messaging, on_commit=relay_ref[0].wake)

        context = ServiceContext(definition.name, self.engine, uow_factory, self._clock)
        relay = OutboxRelay(
            service=definition.name,
            engine=self.engine,
            messaging=definition.tables.messaging,
            publisher=publisher,
            heartbeat=relay_hb,
            batch_size=opts.relay_batch_size,
            idle_seconds=opts.relay_idle_seconds,
            watermarked=definition.watermarked,
            watermark_seconds=opts.relay_watermark_seconds,
        )
        relay_ref.append(relay)
        hosted = HostedService(definition, context, relay, None, [relay_hb])
        handlers = definition.subscriptions(context)
        if handlers:
            dead_letters: DeadLetterSink
            if self.transport == "kafka":
                assert self._producer is not None
                dead_letters = KafkaDeadLetters(self._producer, definition.name, self._prefix)
            else:
                dead_letters = TableDeadLetters(uow_factory)
            processor = EventProcessor(
                service=definition.name,
                consumer=definition.consumer_group,
                uow_factory=uow_factory,
                handlers=handlers,
                dead_letters=dead_letters,
                max_attempts=opts.consumer_max_attempts,
                unprocessable=definition.unprocessable(context),
            )
            hosted.processor = processor
            self._consume(hosted, processor, "consumer")
        for ledger in definition.ledgers(context):
            group = ledger.consumer(definition.consumer_group)
            self._consume(
                hosted,
                EventProcessor(
                    service=definition.name,
                    consumer=group,
                    uow_factory=uow_factory,
                    handlers=ledger.handlers,
                    dead_letters=UnreadableLedger(uow_factory, ledger.unreadable),
                    max_attempts=opts.consumer_max_attempts,
                ),
                f"{ledger.name} ledger",
            )
        return hosted

    def _consume(self, hosted: HostedService, processor: EventProcessor, role: str) -> None:
        """Feed `processor` from the transport: its own Kafka group, or the in-process bus."""
        if self.transport == "kafka":
            assert self._bootstrap is not None and self._security is not None
            name = hosted.definition.name
            heartbeat = Heartbeat(f"{name} {role}", self.options.stuck_after_seconds)
            hosted.heartbeats.append(heartbeat)
            group_id = self._prefix + processor.consumer
            lag = ConsumerLag(group_id, catching_up_above=self.options.catching_up_above)
            hosted.lags.append(lag)
            self._consumers.append(
                KafkaConsumerLoop(
                    processor=processor,
                    topics=processor.topics,
                    group_id=group_id,
                    bootstrap=self._bootstrap,
                    security=self._security,
                    batch_size=self.options.consumer_batch_size,
                    heartbeat=heartbeat,
                    prefix=self._prefix,
                    membership=self.options.membership,
                    lag=lag,
                )
            )
        else:
            self._bus.subscribe(processor)

    def _service_app(self, hosted: HostedService) -> FastAPI:
        definition = hosted.definition
        app = FastAPI(title=f"pnm {definition.name}", description=definition.description)
        app.state.verifier = self.verifier
        # Inside the error handling (added after it): a bad URL is refused before a key is.
        app.add_middleware(
            IdempotencyMiddleware,
            engine=self.engine,
            table=definition.tables.messaging.idempotency,
            verifier=lambda: app.state.verifier,
            settings=self._idempotency,
        )
        add_error_handling(app, forms=definition.serves_pages)
        add_error_statuses(app, definition.error_statuses)
        add_openapi_models(app, definition.openapi_models)
        add_common_routes(
            app,
            self.engine,
            lambda: hosted.heartbeats,
            [self.verifier.readiness_problem],
            lambda: hosted.context.warnings.values(),
            lambda: catching_up(hosted.lags),
        )
        for router in self.service_routers(hosted):
            app.include_router(router)
        definition.configure_app(hosted.context, app)
        return app

    def service_routers(self, hosted: HostedService) -> list[APIRouter]:
        """What a service's app serves besides health and metrics: its own routes and the
        admin API over its dead letters."""
        return [
            hosted.definition.build_router(hosted.context),
            dead_letter_router(self._dead_letters(hosted)),
        ]

    def _dead_letters(self, hosted: HostedService) -> DeadLetters:
        kafka = None
        if self.transport == "kafka" and hosted.processor is not None:
            assert self._bootstrap is not None and self._security is not None
            kafka = KafkaDeadLetterTopics(
                self._bootstrap,
                self._security,
                self._prefix,
                hosted.processor.consumer,
                hosted.processor.topics,
            )
        processor = hosted.processor
        reapply = None if processor is None else lambda m: processor.process([m])
        return DeadLetters(self.engine, hosted.definition.tables.messaging, kafka, reapply)

    async def stop(self) -> None:
        self._stopping.set()
        for hosted in self.services.values():
            hosted.relay.stop()
        for consumer in self._consumers:
            consumer.stop()
        # Consumers finish their batch and commit; relays finish their round.
        done, pending = (
            await asyncio.wait(self._tasks, timeout=15) if self._tasks else (set(), set())
        )
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("task ended with an error", exc_info=task.exception())
        with contextlib.suppress(Exception):
            if self._producer is not None:
                await self._producer.stop()
        if self._own_engine:
            await self.engine.dispose()
        log.info("stopped", extra=log_fields(services=[d.name for d in self.definitions]))


def _redirect_to(target: str) -> Callable[[], RedirectResponse]:
    def redirect() -> RedirectResponse:
        return RedirectResponse(target, status_code=307)

    return redirect
