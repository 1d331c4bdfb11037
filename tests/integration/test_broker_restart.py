"""The Kafka broker is stopped and restarted while 5,000 manifest lines flow: every line still
ends with exactly one current decision, and no hold is opened twice."""

from __future__ import annotations

import asyncio

import httpx
from infra import ScriptKafka, bearer, eventually
from sqlalchemy import func, select

from pnm.cli.scenarios import arrival, container, manifest_line, prenotification
from pnm.cli.services import PIPELINE
from pnm.holds.adapters.tables import hold, instruction
from pnm.matcher.adapters.tables import decision
from pnm.shared.contracts.records import ChedType
from pnm.shared.runtime import Pipeline

LINES = 5000
BATCH = 500
PER_NOTIFICATION = 100  # one pre-notification covers a hundred containers
MANIFEST = "RESTART-1"


async def test_broker_restart_during_5000_lines(
    database_url: str, kafka: ScriptKafka, topic_prefix: str
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

        for n, start in enumerate(range(0, LINES, BATCH)):
            if n == LINES // BATCH // 2:
                await asyncio.to_thread(kafka.stop)
                await asyncio.sleep(3)
            if n == LINES // BATCH // 2 + 2:
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
