"""A Kafka client that cannot start (the broker away) is closed: the consumer loop re-joins every
two seconds while the broker is away and the relay starts its producer again, and each failed
start left an open client to the garbage collector ("Unclosed AIOKafkaConsumer" at the end of
the suite)."""

from __future__ import annotations

import gc
import socket
import warnings
from typing import cast

import pytest
from aiokafka.errors import KafkaConnectionError

from pnm.shared.messaging.kafka import KafkaConsumerLoop, ResilientProducer
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.messaging.processor import EventProcessor
from pnm.shared.observability import Heartbeat


def nobody_listening() -> str:
    """An address on this machine where no broker listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"127.0.0.1:{port}"


def unclosed(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if str(w.message).startswith("Unclosed AIOKafka")]


async def test_a_member_that_cannot_join_leaves_no_client_open() -> None:
    member = KafkaConsumerLoop(
        processor=cast(EventProcessor, None),  # never reached: the member cannot join
        topics=["manifest.lines.v1"],
        group_id="matcher",
        bootstrap=nobody_listening(),
        security=KafkaSecurity(),
        batch_size=10,
        heartbeat=Heartbeat("consumer", 30.0),
    )
    with pytest.raises(KafkaConnectionError) as refused:
        await member._run_member()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del member, refused
        gc.collect()
    assert unclosed(caught) == []


async def test_a_producer_that_cannot_start_leaves_no_client_open() -> None:
    producer = ResilientProducer(nobody_listening(), "relay", KafkaSecurity())
    with pytest.raises(KafkaConnectionError) as refused:
        await producer.start()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del producer, refused  # the traceback holds the client that failed to start
        gc.collect()
    assert unclosed(caught) == []
