"""The Kafka ACLs a deployment needs, per principal, derived from the topic contracts (who
writes and who reads each topic) and the services' consumer groups, so the list cannot drift
from the code. `pnm kafka-acls` prints them as kafka-acls.sh commands (docs/kafka-security.md).

Operations are the broker's names. Read and Write imply Describe; Read on a group covers
joining it and committing and fetching its offsets. No Kafka transactions are used (the outbox
and the inbox give exactly-once effects), so no TransactionalId grants; the idempotent
producers need only Write on their topics (brokers 2.8 and newer; older ones also want
IdempotentWrite on the cluster: `idempotent_write`).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pnm.cli.services import ALL
from pnm.cli.topics import deployment_topics
from pnm.holds.adapters.terminals import known_terminals
from pnm.shared.contracts.topics import terminal_acks_topic, terminal_instructions_topic

ResourceType = Literal["topic", "group", "cluster"]
OPERATOR = "pnm-operator"


@dataclass(frozen=True)
class Grant:
    """Allow `principal` (a SCRAM user name) `operations` on the named resources."""

    principal: str
    resource_type: ResourceType
    names: tuple[str, ...]  # empty for the cluster
    operations: tuple[str, ...]
    prefixed: bool = False  # the names are prefixes (`--resource-pattern-type prefixed`)


def service_principal(service: str) -> str:
    """The user name a service authenticates as: its consumer group id, `pnm-matcher`."""
    return ALL[service].consumer_group


def terminal_principal(terminal: str) -> str:
    return f"terminal-{terminal}"


def service_grants(service: str, prefix: str = "", idempotent_write: bool = False) -> list[Grant]:
    principal = service_principal(service)
    topics = deployment_topics()
    reads = [t for t in topics if service in t.consumers]
    # Its own topics, and the dead-letter twin of each topic it consumes (a redrive applies a
    # dead letter through the service's own consumer: it writes nothing back).
    writes = [prefix + t.name for t in topics if t.producer == service]
    writes += [prefix + t.dlq for t in reads]
    grants = [Grant(principal, "topic", tuple(writes), ("Write",))]
    if reads:
        # The dead-letter twins are read too: the service's admin API lists and redrives them.
        read = tuple(prefix + name for t in reads for name in (t.name, t.dlq))
        grants.append(Grant(principal, "topic", read, ("Read",)))
        # Prefixed: its own group and its ledgers' groups (`pnm-matcher-reconciliation`).
        group = prefix + ALL[service].consumer_group
        grants.append(Grant(principal, "group", (group,), ("Read",), prefixed=True))
    if idempotent_write:
        grants.append(Grant(principal, "cluster", (), ("IdempotentWrite",)))
    return grants


def terminal_grants(terminal: str, prefix: str = "") -> list[Grant]:
    """A terminal reads its own instruction topic (in groups named after it) and writes its
    own ack topic: nothing of another terminal's. Its groups: `terminal-<CODE>` and any
    starting `terminal-<CODE>.` (a code has no dot, so no other terminal's group matches)."""
    principal = terminal_principal(terminal)
    instructions = prefix + terminal_instructions_topic(terminal).name
    return [
        Grant(principal, "topic", (instructions,), ("Read",)),
        Grant(principal, "group", (prefix + principal,), ("Read",)),
        Grant(principal, "group", (prefix + principal + ".",), ("Read",), prefixed=True),
        Grant(principal, "topic", (prefix + terminal_acks_topic(terminal).name,), ("Write",)),
    ]


def operator_grants(prefix: str = "") -> list[Grant]:
    """`pnm topics --create`: create every topic and its dead-letter twin."""
    names = tuple(prefix + name for t in deployment_topics() for name in (t.name, t.dlq))
    return [Grant(OPERATOR, "topic", names, ("Create", "Describe"))]


def deployment_grants(
    prefix: str = "", terminals: Iterable[str] = (), idempotent_write: bool = False
) -> list[Grant]:
    grants = [g for s in ALL for g in service_grants(s, prefix, idempotent_write)]
    grants += [g for t in terminals for g in terminal_grants(t, prefix)]
    return grants + operator_grants(prefix)


def kafka_acls_command(grant: Grant) -> str:
    """One `kafka-acls.sh --add` command; $BOOTSTRAP and admin.properties (the client
    settings of a principal allowed to alter ACLs) are the operator's."""
    args = [
        "kafka-acls.sh",
        "--bootstrap-server",
        "$BOOTSTRAP",
        "--command-config",
        "admin.properties",
        "--add",
        "--allow-principal",
        f"User:{grant.principal}",
    ]
    for operation in grant.operations:
        args += ["--operation", operation]
    if grant.prefixed:
        args += ["--resource-pattern-type", "prefixed"]
    if grant.resource_type == "cluster":
        args.append("--cluster")
    for name in grant.names:
        args += [f"--{grant.resource_type}", name]
    return " ".join(a if a == "$BOOTSTRAP" else shlex.quote(a) for a in args)


def run_kafka_acls(prefix: str, terminals: Sequence[str], idempotent_write: bool) -> None:
    # A terminal not in the holds registry has no topics and gets no instructions: granting
    # it anything would only hide a typo.
    unknown = sorted(set(terminals) - known_terminals())
    if unknown:
        raise SystemExit(
            f"not registered terminals: {', '.join(unknown)} "
            f"(registered: {', '.join(sorted(known_terminals()))})"
        )
    for grant in deployment_grants(prefix, terminals, idempotent_write):
        print(kafka_acls_command(grant))
