"""Readiness means something: a loop that stopped beating makes the service not ready."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from pnm.shared.http import add_common_routes
from pnm.shared.messaging.lag import ConsumerLag, catching_up
from pnm.shared.observability import Heartbeat


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_heartbeat_goes_stale_and_stops() -> None:
    clock = FakeClock()
    beat = Heartbeat("consumer", stale_after=10, clock=clock)
    clock.now = 9.9
    assert beat.healthy()
    clock.now = 10.1
    assert not beat.healthy()
    beat.beat()
    assert beat.healthy()
    beat.stopped = True
    assert not beat.healthy()


async def test_ready_turns_503_when_a_consumer_is_stuck() -> None:
    clock = FakeClock()
    beats = [Heartbeat("matcher consumer", 60, clock), Heartbeat("matcher outbox relay", 60, clock)]
    app = FastAPI()
    add_common_routes(app, None, lambda: beats)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get("/health/ready")).status_code == 200
        clock.now = 61
        beats[1].beat()
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["problems"] == ["matcher consumer is not beating"]
        assert (await client.get("/health/live")).status_code == 200
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "pnm_events_consumed_total" in metrics.text


async def test_a_warning_is_shown_in_readiness_which_stays_green() -> None:
    """A reconciliation gap is for people to act on: a restart would not close it."""
    warnings: dict[str, str] = {}
    app = FastAPI()
    add_common_routes(app, None, lambda: [], warnings=lambda: warnings.values())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get("/health/ready")).json() == {"status": "ready"}
        warnings["reconciliation"] = "reconciliation: 1 undecided_line (oldest 400 s)"
        response = await client.get("/health/ready")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ready",
            "warnings": ["reconciliation: 1 undecided_line (oldest 400 s)"],
        }


async def test_ready_stays_200_and_says_catching_up_while_a_consumer_is_behind() -> None:
    lag = ConsumerLag("pnm-matcher", catching_up_above=10)
    app = FastAPI()
    add_common_routes(app, None, lambda: [], details=lambda: catching_up([lag]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 200
        assert response.json()["catching_up"] == {"pnm-matcher": {"state": "joining"}}
        lag.record("manifest.lines.v1", 3, 500)
        lag.record("manifest.lines.v1", 4, 0)
        lag.measured = True
        response = await client.get("/health/ready")
        assert response.status_code == 200  # behind is not broken: writes are still accepted
        assert response.json() == {
            "status": "ready",
            "catching_up": {
                "pnm-matcher": {"lag": 500, "partitions": {"manifest.lines.v1/3": 500}}
            },
        }
        lag.record("manifest.lines.v1", 3, 10)  # at the threshold: up to date
        assert (await client.get("/health/ready")).json() == {"status": "ready"}
        lag.reset()
        metrics = (await client.get("/metrics")).text
        assert 'pnm_consumer_lag{group="pnm-matcher"' not in metrics
