"""The services on a broker of their own that takes SASL/SCRAM only and enforces ACLs: each
service authenticates as its own principal, holding exactly the grants `pnm kafka-acls`
prints; a manifest line posted to manifest-ingest is decided by the matcher and the decision
consumed by holds. Wrong credentials stop a service at start, naming the principal and the
broker's reason; an authenticated principal is refused a topic it holds no grant for."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError
from infra import ScriptKafka, bearer, consumed, eventually, read_topic
from pydantic import SecretStr

from pnm.cli.kafka_acls import (
    OPERATOR,
    Grant,
    deployment_grants,
    service_principal,
    terminal_principal,
)
from pnm.cli.services import ALL
from pnm.cli.topics import create_topics
from pnm.shared.contracts.topics import (
    DECISIONS,
    MANIFEST_LINES,
    terminal_acks_topic,
    terminal_instructions_topic,
)
from pnm.shared.messaging.kafka_security import (
    KafkaAccessRefused,
    KafkaSecurity,
    kafka_client_options,
)
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

PREFIX = "acc."  # the grants are rendered for a prefixed deployment, as a shared cluster has
TERMINAL = "ECTDELTA"


def apply_grants(broker: ScriptKafka, grants: list[Grant]) -> None:
    """Create the ACLs as the broker's admin (the test's stand-in for kafka-acls.sh)."""
    from confluent_kafka.admin import (  # type: ignore[attr-defined]
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
    )

    assert broker.admin_password is not None
    admin = AdminClient(
        {
            "bootstrap.servers": broker.bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "admin",
            "sasl.password": broker.admin_password,
        }
    )
    bindings = [
        AclBinding(
            ResourceType[grant.resource_type.upper()],
            name,
            ResourcePatternType.LITERAL,
            f"User:{grant.principal}",
            "*",
            AclOperation[re.sub(r"(?<!^)(?=[A-Z])", "_", operation).upper()],
            AclPermissionType.ALLOW,
        )
        for grant in grants
        for name in grant.names or ("kafka-cluster",)
        for operation in grant.operations
    ]
    for future in admin.create_acls(bindings).values():
        future.result(timeout=30)


@pytest.fixture(scope="module")
def scram_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptKafka]:
    principals = [service_principal(s) for s in ALL] + [OPERATOR, terminal_principal(TERMINAL)]
    broker = ScriptKafka(
        Path(tmp_path_factory.mktemp("scram")) / "kafka",
        admin_password=secrets.token_urlsafe(16),
        scram_users={p: secrets.token_urlsafe(16) for p in principals},
        authorizer=True,
    ).start()
    try:
        apply_grants(broker, deployment_grants(PREFIX, [TERMINAL]))
        yield broker
    finally:
        broker.stop()


def service_pipeline(
    service: str, database_url: str, broker: ScriptKafka, security: KafkaSecurity
) -> Pipeline:
    return Pipeline(
        [ALL[service]],
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=broker.bootstrap,
        kafka_security=security,
        topic_prefix=PREFIX,
    )


async def test_each_service_authenticates_with_its_own_grants(
    scram_kafka: ScriptKafka, database_url: str
) -> None:
    await create_topics(scram_kafka.bootstrap, PREFIX, scram_kafka.security(OPERATOR))

    def principal(service: str) -> KafkaSecurity:
        return scram_kafka.security(service_principal(service))

    # Either SCRAM mechanism is offered: holds uses the other one.
    holds_security = principal("holds").model_copy(update={"sasl_mechanism": "SCRAM-SHA-256"})
    applied_before = consumed("holds", DECISIONS.name, "applied")
    line = manifest_line(
        "SCRAM-1", "1", hs_code="020230", description="Frozen beef", containers=[container(1)]
    )
    async with (
        service_pipeline(
            "manifest-ingest", database_url, scram_kafka, principal("manifest-ingest")
        ) as ingest,
        service_pipeline("matcher", database_url, scram_kafka, principal("matcher")),
        service_pipeline("holds", database_url, scram_kafka, holds_security),
    ):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=ingest.app), base_url="http://pnm"
        ) as client:
            response = await client.post(
                "/manifest-ingest/lines",
                json={"lines": [line.model_dump(mode="json")]},
                headers=bearer("feed:dmf"),
            )
        assert response.status_code == 202, response.text

        decisions = await read_topic(
            scram_kafka.bootstrap, PREFIX + DECISIONS.name, expect=1, security=holds_security
        )
        assert [r.key for r in decisions] == [line.key.encode()]

        async def holds_applied() -> bool:
            return consumed("holds", DECISIONS.name, "applied") > applied_before

        await eventually(holds_applied, timeout=30)


async def test_wrong_credentials_stop_the_service_with_the_reason(
    scram_kafka: ScriptKafka, database_url: str
) -> None:
    wrong = scram_kafka.security(service_principal("matcher")).model_copy(
        update={"sasl_password": SecretStr("not-the-password")}
    )
    pipeline = service_pipeline("matcher", database_url, scram_kafka, wrong)
    with pytest.raises(KafkaAccessRefused) as refused:
        await pipeline.start()
    await pipeline.stop()
    message = str(refused.value)
    assert "refused User:pnm-matcher (SASL_PLAINTEXT, SCRAM-SHA-512)" in message
    assert "SaslAuthenticationFailed" in message
    assert "not-the-password" not in message

    # No credentials at all (the security protocol forgotten): the broker hangs up.
    pipeline = service_pipeline("matcher", database_url, scram_kafka, KafkaSecurity())
    with pytest.raises(
        KafkaAccessRefused, match="refused User:ANONYMOUS \\(PLAINTEXT\\)"
    ) as hung_up:
        await pipeline.start()
    await pipeline.stop()
    assert "expect another PNM_KAFKA_SECURITY_PROTOCOL" in str(hung_up.value)


async def test_a_principal_is_refused_what_it_was_not_granted(scram_kafka: ScriptKafka) -> None:
    await create_topics(scram_kafka.bootstrap, PREFIX, scram_kafka.security(OPERATOR))
    # The matcher reads manifest lines; it may not write them.
    producer = AIOKafkaProducer(
        **kafka_client_options(
            scram_kafka.bootstrap, scram_kafka.security(service_principal("matcher"))
        ),
        request_timeout_ms=10_000,
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(PREFIX + MANIFEST_LINES.name, b"{}")
    finally:
        await producer.stop()
    # A terminal reads its instructions in its own group, and nothing else.
    terminal = scram_kafka.security(terminal_principal(TERMINAL))
    consumer = AIOKafkaConsumer(
        PREFIX + DECISIONS.name,
        **kafka_client_options(scram_kafka.bootstrap, terminal),
        group_id=PREFIX + terminal_principal(TERMINAL),
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.start()
    finally:
        await consumer.stop()
    # Nor another terminal's instructions, not even in a group of its own.
    for group in (terminal_principal(TERMINAL), terminal_principal(TERMINAL) + ".other"):
        foreign = AIOKafkaConsumer(
            PREFIX + terminal_instructions_topic("RWG").name,
            **kafka_client_options(scram_kafka.bootstrap, terminal),
            group_id=PREFIX + group,
        )
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                await foreign.start()
        finally:
            await foreign.stop()
    # And it cannot answer on another terminal's ack topic.
    producer = AIOKafkaProducer(
        **kafka_client_options(scram_kafka.bootstrap, terminal), request_timeout_ms=10_000
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(PREFIX + terminal_acks_topic("RWG").name, b"{}")
    finally:
        await producer.stop()
    allowed = AIOKafkaConsumer(
        PREFIX + terminal_instructions_topic(TERMINAL).name,
        **kafka_client_options(scram_kafka.bootstrap, terminal),
        group_id=PREFIX + terminal_principal(TERMINAL),
        auto_offset_reset="earliest",
    )
    await allowed.start()
    try:

        async def joined() -> bool:
            await allowed.getmany(timeout_ms=200)
            return bool(allowed.assignment())

        await eventually(joined, timeout=30)
    finally:
        await allowed.stop()
