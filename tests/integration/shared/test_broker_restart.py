"""The Kafka broker is stopped and restarted while 5,000 manifest lines flow: every line still
ends with exactly one current decision, and no hold is opened twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from infra import ScriptKafka, bearer, eventually, logged
from sqlalchemy import func, select

from pnm.cli.services import PIPELINE
from pnm.holds.adapters.tables import hold, instruction
from pnm.matcher.adapters.tables import decision
from pnm.shared.contracts.records import ChedType
from pnm.shared.runtime import Pipeline
from pnm.testing.records import arrival, container, manifest_line, prenotification

LINES = 5000
BATCH = 500
PER_NOTIFICATION = 100  # one pre-notification covers a hundred containers
MANIFEST = "RESTART-1"
# What the Kafka client (aiokafka, pinned in uv.lock) logs for each request the stopped broker
# did not answer: a consumer's fetch, a relay's produce. Each is retried.
FETCH_FAILED = ("aiokafka.consumer.fetcher", "Failed fetch messages from")
PRODUCE_FAILED = ("aiokafka.producer.sender", "Got error produce response")
RETRIED = 2  # failed requests of each kind before the broker comes back


async def test_broker_restart_during_5000_lines(
    database_url: str, kafka: ScriptKafka, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    boxes = [container(800_000 + i) for i in range(LINES)]
    notified = boxes[: LINES // 2]
    lines = [
        manifest_line(
            MANIFEST, str(i), hs_code="020230", description="Frozen beef", containers=[box]
        )
        for i, box in enumerate(boxes)
    ]
    async with Pipeline(
        list(PIPELINE.values()),
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=kafka.bootstrap,
        topic_prefix=topic_prefix,
    ) as pipeline:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm", timeout=60
        )
        for n, start in enumerate(range(0, len(notified), PER_NOTIFICATION)):
            notice = prenotification(
                f"CHEDP.NL.2026.{n:07d}",
                ched_type=ChedType.CHED_P,
                cn_code="0202",
                description="Frozen beef",
                containers=notified[start : start + PER_NOTIFICATION],
            )
            response = await client.post(
                "/prenotification/prenotifications",
                json=notice.model_dump(mode="json"),
                headers=bearer("feed:vgc"),
            )
            assert response.status_code == 201, response.text

        failed: dict[tuple[str, str], int] = {}
        for n, start in enumerate(range(0, LINES, BATCH)):
            if n == LINES // BATCH // 2:
                await asyncio.to_thread(kafka.stop)
                failed = {kind: logged(caplog, *kind) for kind in (FETCH_FAILED, PRODUCE_FAILED)}
                await _retried_while_away(caplog, failed, FETCH_FAILED, "the consumers' fetches")
            if n == LINES // BATCH // 2 + 2:
                # The lines sent meanwhile wait in the outbox: the relays met the broker away.
                await _retried_while_away(caplog, failed, PRODUCE_FAILED, "the relays' produces")
                await asyncio.to_thread(kafka.start)
            body = {
                "lines": [line.model_dump(mode="json") for line in lines[start : start + BATCH]]
            }
            response = await client.post(
                "/manifest-ingest/lines", json=body, headers=bearer("feed:dmf")
            )
            assert response.status_code == 202, response.text

        engine = pipeline.engine

        async def statuses() -> dict[str, int]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(decision.c.status, func.count())
                    .where(decision.c.manifest_id == MANIFEST)
                    .group_by(decision.c.status)
                )
                return {status: count for status, count in rows.all()}

        seen: list[dict[str, int]] = []

        async def all_decided() -> bool:
            seen.append(await statuses())
            return seen[-1] == {"notified": LINES // 2, "awaiting_notification": LINES // 2}

        try:
            await eventually(all_decided, timeout=180, interval=1)
        except AssertionError as err:
            raise AssertionError(f"decisions by status, last seen: {seen[-3:]}") from err
        response = await client.post(
            "/manifest-ingest/arrivals",
            json=arrival(MANIFEST).model_dump(mode="json"),
            headers=bearer("feed:dmf"),
        )
        assert response.status_code == 202

        async def all_held() -> int | None:
            async with engine.connect() as conn:
                count = await conn.scalar(
                    select(func.count()).select_from(hold).where(hold.c.manifest_id == MANIFEST)
                )
            return count if count == LINES // 2 else None

        await eventually(all_held, timeout=240, interval=1)
        assert await statuses() == {"notified": LINES // 2, "unnotified": LINES // 2}
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(decision)) == LINES
            distinct_lines = await conn.scalar(
                select(func.count(func.distinct(hold.c.line_id))).where(
                    hold.c.manifest_id == MANIFEST
                )
            )
            assert distinct_lines == LINES // 2
            assert await conn.scalar(select(func.count()).select_from(instruction)) == LINES // 2
            held_lines = set((await conn.execute(select(hold.c.line_id))).scalars())
        assert held_lines == {str(i) for i in range(LINES // 2, LINES)}
        await client.aclose()


async def _retried_while_away(
    caplog: pytest.LogCaptureFixture,
    before: dict[tuple[str, str], int],
    kind: tuple[str, str],
    who: str,
) -> None:
    """Wait until the stopped broker has failed `kind` of request RETRIED times since it
    stopped: the clients met the outage and retried through it."""

    async def count() -> int:
        return logged(caplog, *kind) - before[kind]

    await eventually(
        count,
        until=lambda failures: failures >= RETRIED,
        timeout=60,
        what=f"{who} failing at least {RETRIED} times while the broker is away",
    )
