"""The ACL list follows the code: every topic a service consumes is read and its dead-letter
twin written, in the consumer group the runtime uses; the operator document carries exactly
the commands `pnm kafka-acls` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from pnm.cli.kafka_acls import (
    deployment_grants,
    kafka_acls_command,
    run_kafka_acls,
    service_grants,
    service_principal,
    terminal_grants,
)
from pnm.cli.services import ALL
from pnm.cli.topics import deployment_topics
from pnm.holds.adapters.terminals import known_terminals
from pnm.shared.db import make_engine
from pnm.shared.service import ServiceContext

DOC = Path(__file__).resolve().parents[3] / "docs" / "kafka-security.md"


def granted(service: str, resource_type: str, operation: str, prefix: str = "") -> set[str]:
    return {
        name
        for g in service_grants(service, prefix)
        if g.resource_type == resource_type and operation in g.operations
        for name in g.names
    }


@pytest.mark.parametrize("service", list(ALL))
async def test_a_service_reads_what_it_subscribes_to_and_writes_what_it_produces(
    service: str,
) -> None:
    definition = ALL[service]
    engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected
    try:
        ctx = ServiceContext(service, engine, lambda: None)  # type: ignore[arg-type, return-value]
        subscribed = set(definition.subscriptions(ctx))
        ledger_groups = {
            ledger.consumer(definition.consumer_group) for ledger in definition.ledgers(ctx)
        }
    finally:
        await engine.dispose()
    produced = {t.name for t in deployment_topics() if t.producer == service}

    # The dead-letter twins are read by the service's admin API.
    assert granted(service, "topic", "Read", "acc.") == {
        "acc." + t for t in subscribed | {t + ".dlq" for t in subscribed}
    }
    assert granted(service, "topic", "Write", "acc.") == {
        "acc." + t for t in produced | {t + ".dlq" for t in subscribed}
    }
    assert granted(service, "group", "Read", "acc.") == (
        {"acc." + definition.consumer_group} if subscribed else set()
    )
    # The group grant is a prefix, and covers the groups of the service's ledgers.
    assert all(g.prefixed for g in service_grants(service) if g.resource_type == "group")
    assert all(g.startswith(definition.consumer_group) for g in ledger_groups)
    assert service_principal(service) == f"pnm-{service}"


def test_a_terminal_reads_its_own_instructions_and_writes_its_own_acks_only() -> None:
    grants = {
        (g.resource_type, g.names, g.operations, g.prefixed)
        for g in terminal_grants("ECTDELTA", "acc.")
    }
    assert grants == {
        ("topic", ("acc.holds.instructions.ECTDELTA.v1",), ("Read",), False),
        ("group", ("acc.terminal-ECTDELTA",), ("Read",), False),
        # A code has no dot: no other terminal's group starts with this.
        ("group", ("acc.terminal-ECTDELTA.",), ("Read",), True),
        ("topic", ("acc.holds.acks.ECTDELTA.v1",), ("Write",), False),
    }


def test_the_holds_service_reads_every_registered_terminals_acks_and_writes_its_instructions() -> (
    None
):
    read = granted("holds", "topic", "Read")
    written = granted("holds", "topic", "Write")
    for code in known_terminals():
        assert f"holds.acks.{code}.v1" in read
        assert {f"holds.instructions.{code}.v1", f"holds.acks.{code}.v1.dlq"} <= written
        assert f"holds.instructions.{code}.v1" not in read


def test_older_brokers_also_get_idempotent_write_on_the_cluster() -> None:
    assert not any(g.resource_type == "cluster" for g in deployment_grants())
    cluster = [g for g in deployment_grants(idempotent_write=True) if g.resource_type == "cluster"]
    assert {g.principal for g in cluster} == {service_principal(s) for s in ALL}
    assert all(g.operations == ("IdempotentWrite",) for g in cluster)
    assert kafka_acls_command(cluster[0]).endswith("--operation IdempotentWrite --cluster")


def test_the_operator_document_lists_every_command() -> None:
    text = DOC.read_text()
    missing = [
        command
        for command in map(kafka_acls_command, deployment_grants(terminals=["ECTDELTA"]))
        if command not in text
    ]
    assert not missing, "docs/kafka-security.md lacks:\n" + "\n".join(missing)


def test_grants_for_a_terminal_outside_the_registry_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit, match="not registered terminals: ECTDETLA"):
        run_kafka_acls("", ["ECTDELTA", "ECTDETLA"], False)
    assert capsys.readouterr().out == ""
    run_kafka_acls("", ["ECTDELTA"], False)
    assert "User:terminal-ECTDELTA" in capsys.readouterr().out
