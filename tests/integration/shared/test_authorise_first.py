"""Authorise before anything else: every write route of the four services, called by a token
without its role and with a junk body, answers 403 and stores nothing; every read route, with
junk query parameters, answers 403 too (real PostgreSQL, in-process transport). The routes are
taken from the apps, so a new route cannot be missed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from infra import bearer
from sqlalchemy import func, select
from starlette.routing import Mount

from pnm.cli.services import ALL
from pnm.shared.access import route_requirements
from pnm.shared.auth import Principal
from pnm.shared.runtime import Pipeline

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
READ_METHODS = {"GET"}
# Served by every app without a role: health and metrics for probes and scrapers, and the feeds'
# status for any authenticated caller (it says only when each feed was last heard from).
OPEN_PATHS = {"/health/live", "/health/ready", "/metrics", "/feeds"}
# Written by a background loop, not by requests: the matcher's deadline scan records an epoch
# every few seconds, even when nothing is due.
# Written by the services' own loops, not by requests (the relay stamps the watermark).
BACKGROUND_TABLES = {"matcher.decision_epoch", "matcher.prenotification_watermark"}
# What a refusal leaves by design: the holds service's audit trail of refusals (docs/audit.md).
REFUSAL_RECORDS = {"holds.audit_entry"}
JUNK_QUERY = {"limit": "junk", "offset": "-5", "open": "maybe", "arrival_from": "never"}
# One of every kind of role there is (auth module docstring).
EVERY_ROLE = (
    "customs-prearrival",
    "pd-inspector",
    "nvwa-inspector",
    "analyst",
    "admin",
    "terminal:ECTDELTA",
    "feed:dmf",
    "feed:client-import",
    "feed:vgc",
    "feed:traces",
    "feed:written",
)
JUNK_BODIES: tuple[dict[str, Any], ...] = (
    {"json": {"junk": True, "records": [1], "lines": ["x"], "header": {}}},
    {
        "content": b'{"reference": "\\ud800", "gross_mass_kg": Infinity}',
        "headers": {"Content-Type": "application/json"},
    },
    {"content": b"\x00not json {", "headers": {"Content-Type": "application/json"}},
    {"files": {"file": ("junk.jsonl", b'{"reference": "x"}\n', "application/octet-stream")}},
)


@dataclass(frozen=True)
class ServiceRoute:
    service: str
    method: str
    path: str
    route: APIRoute

    def url(self) -> str:
        # Path parameters get a plausible value: the role check comes before their validation.
        return f"/{self.service}" + re.sub(r"\{[^}]+\}", "1", self.path)

    def lacking(self) -> list[str]:
        """Every role this route does not admit."""
        requirements = route_requirements(self.route.dependant)
        return [
            role
            for role in EVERY_ROLE
            if not any(r.admits(Principal("t", frozenset({role}), None)) for r in requirements)
        ]


def service_routes(pipeline: Pipeline, methods: set[str]) -> list[ServiceRoute]:
    """The routes each service's app serves (its own and the shared ones, such as the
    dead-letter admin API), checked against the app's OpenAPI document."""
    found = [
        ServiceRoute(name, method, route.path, route)
        for name, hosted in pipeline.services.items()
        for router in pipeline.service_routers(hosted)
        for route in router.routes
        # The console's pages (not in its API document) sign a person in instead: see
        # tests/integration/console/test_console_sign_in.py.
        if isinstance(route, APIRoute) and route.include_in_schema and route.path not in OPEN_PATHS
        for method in sorted((route.methods or set()) & methods)
    ]
    served = set()
    for mount in pipeline.app.routes:
        if isinstance(mount, Mount) and isinstance(mount.app, FastAPI):
            for path, operations in mount.app.openapi()["paths"].items():
                served |= {
                    (mount.path.strip("/"), method.upper(), path)
                    for method in operations
                    if method.upper() in methods and path not in OPEN_PATHS
                }
    assert served == {(r.service, r.method, r.path) for r in found}
    return found


@pytest.fixture
async def pipeline(database_url: str) -> AsyncIterator[Pipeline]:
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        yield pipeline


async def stored_rows(pipeline: Pipeline) -> dict[str, int]:
    counts = {}
    async with pipeline.engine.connect() as conn:
        for definition in ALL.values():
            for table in definition.tables.metadata.sorted_tables:
                if table.fullname in BACKGROUND_TABLES | REFUSAL_RECORDS:
                    continue
                counts[table.fullname] = (
                    await conn.execute(select(func.count()).select_from(table))
                ).scalar_one()
    return counts


async def test_every_write_route_says_403_before_reading_the_body(pipeline: Pipeline) -> None:
    routes = service_routes(pipeline, WRITE_METHODS)
    assert {r.service for r in routes} == set(ALL), "every service has write routes"
    assert unguarded(routes) == [], "every write route names the roles it admits (Requires)"
    before = await stored_rows(pipeline)
    answers: dict[str, list[int]] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pipeline.app, raise_app_exceptions=False),
        base_url="http://pnm",
    ) as client:
        for route in routes:
            lacking = route.lacking()
            for roles in [lacking, *([role] for role in lacking)]:
                for junk in JUNK_BODIES:
                    body = dict(junk)
                    headers = {**bearer(*roles), **body.pop("headers", {})}
                    response = await client.request(
                        route.method, route.url(), headers=headers, **body
                    )
                    key = f"{route.method} {route.url()} as {roles}"
                    answers.setdefault(key, []).append(response.status_code)
                    if response.status_code == 403:
                        assert "required" in response.json()["detail"], key
    wrong = {k: v for k, v in answers.items() if set(v) != {403}}
    assert wrong == {}
    assert await stored_rows(pipeline) == before


async def test_every_read_route_says_403_before_reading_the_query(pipeline: Pipeline) -> None:
    routes = service_routes(pipeline, READ_METHODS)
    assert unguarded(routes) == [], "every read route names the roles it admits (Requires)"
    answers: dict[str, int] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pipeline.app, raise_app_exceptions=False),
        base_url="http://pnm",
    ) as client:
        for route in routes:
            response = await client.get(
                route.url(), params=JUNK_QUERY, headers=bearer(*route.lacking())
            )
            answers[f"GET {route.url()}"] = response.status_code
    assert {k: v for k, v in answers.items() if v != 403} == {}


def unguarded(routes: list[ServiceRoute]) -> list[str]:
    return [
        f"{r.method} /{r.service}{r.path}"
        for r in routes
        if not route_requirements(r.route.dependant) or not r.lacking()
    ]
