"""Issue 13's false block, in distributed mode: the broker is stopped, a pre-notification is
accepted, then its line and the arrival; when the broker is back the pre-notification service
is held up (SIGSTOP), so manifest-ingest's backlog reaches the matcher first. The line must
wait for the pre-notification watermark (docs/watermark.md), never be decided `unnotified`,
never get a hold, and end `notified`."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from flows import BEEF, arrive, decision_of, declare
from infra import FEEDS, OFFICER, ScriptKafka, bearer, eventually
from test_distributed import Gateway

from pnm.cli.processes import ServiceProcesses
from pnm.cli.services import ALL
from pnm.testing.records import container, manifest_line, prenotification

pytestmark = pytest.mark.integration


async def test_a_backlog_released_in_the_unlucky_order_blocks_nothing(
    database_url: str, kafka: ScriptKafka, topic_prefix: str, tmp_path: Path
) -> None:
    serial = 400_000 + uuid.uuid4().int % 100_000
    manifest = f"WMARK-{uuid.uuid4().hex[:6]}"
    box, other = container(serial), container(serial + 1)
    notice = prenotification(
        f"CHEDP.NL.2026.{serial:07d}",
        ched_type=BEEF.ched_type,
        cn_code=BEEF.hs_code,
        description=BEEF.description,
        containers=[box],
    )
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    with ServiceProcesses(ALL, env, tmp_path) as processes:
        await processes.wait_ready(within=180)
        gateway = Gateway(processes.ports())
        intake = processes.services["prenotification"].process
        async with httpx.AsyncClient(
            transport=gateway, base_url="http://gateway", timeout=60
        ) as client:
            await asyncio.to_thread(kafka.stop)
            # Accepted (committed) while the broker is away: the notification first.
            response = await client.post(
                "/prenotification/prenotifications",
                json=notice.model_dump(mode="json"),
                headers=bearer(*FEEDS),
            )
            assert response.status_code == 201, response.text
            line = manifest_line(
                manifest, "1", hs_code=BEEF.hs_code, description=BEEF.description, containers=[box]
            )
            await declare(client, line)
            await arrive(client, manifest)

            os.kill(intake.pid, signal.SIGSTOP)  # its backlog leaves last
            try:
                await asyncio.to_thread(kafka.start)

                async def decided_with_arrival() -> dict[str, Any] | None:
                    d = await decision_of(client, manifest, "1")
                    codes = [r["code"] for r in d["reasons"]] if d else []
                    return d if "arrived_unnotified" in codes else None

                # The line and its arrival are in; the notification is not.
                held = await eventually(decided_with_arrival, timeout=180, interval=0.5)
                assert held["status"] == "awaiting_notification", held
                assert held["reasons"][-1]["code"] == "prenotification_backlog"
            finally:
                os.kill(intake.pid, signal.SIGCONT)

            async def notified() -> bool:
                d = await decision_of(client, manifest, "1")
                return bool(d and d["status"] == "notified")

            await eventually(notified, timeout=120, interval=0.5)

            # A line nobody notified, after: once its hold is open, the holds service has
            # seen the decisions of this manifest, and line 1 must have none.
            await declare(
                client,
                manifest_line(
                    manifest,
                    "2",
                    hs_code=BEEF.hs_code,
                    description=BEEF.description,
                    containers=[other],
                ),
            )

            async def holds(line_id: str) -> list[dict[str, Any]]:
                response = await client.get(
                    "/holds/holds",
                    params={"manifest_id": manifest, "line_id": line_id},
                    headers=bearer(*OFFICER),
                )
                assert response.status_code == 200, response.text
                return response.json()  # type: ignore[no-any-return]

            await eventually(lambda: holds("2"), timeout=60)
            assert await holds("1") == []
            history = await client.get(
                f"/matcher/decisions/{manifest}/1/history", headers=bearer(*OFFICER)
            )
            statuses = [d["status"] for d in history.json()]
            assert "unnotified" not in statuses, statuses
            assert statuses[-1] == "notified"
            await gateway.aclose()
