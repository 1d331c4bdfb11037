"""A service started without a token key refuses every caller, so it must not report ready
(real PostgreSQL, in-process transport)."""

from __future__ import annotations

import httpx
import pytest

from pnm.cli.services import ALL
from pnm.shared.runtime import Pipeline


async def test_without_a_key_no_app_is_ready_and_each_says_why(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PNM_AUTH_SECRET", raising=False)
    monkeypatch.delenv("PNM_AUTH_PUBLIC_KEY", raising=False)
    async with (
        Pipeline(
            [ALL["prenotification"]], database_url=database_url, transport="inprocess"
        ) as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        ) as client,
    ):
        for path in ("/health/ready", "/prenotification/health/ready"):
            response = await client.get(path)
            assert response.status_code == 503, path
            [problem] = response.json()["problems"]
            assert problem.startswith("no token verification key configured"), path
