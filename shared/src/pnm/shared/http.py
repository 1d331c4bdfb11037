"""The FastAPI app every service gets: its router, correlation ids, health, metrics and
error responses that say what was wrong (4xx), never a bare 500."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared.observability import Heartbeat, correlation_id, log_fields

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"


class DomainError(Exception):
    """A request that is well-formed but not acceptable: answered with its status and detail."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def add_common_routes(
    app: FastAPI, engine: AsyncEngine | None, heartbeats: Callable[[], Sequence[Heartbeat]]
) -> None:
    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "not ready"}})
    async def ready() -> JSONResponse:
        problems = [f"{hb.name} is not beating" for hb in heartbeats() if not hb.healthy()]
        if engine is not None:
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as err:
                problems.append(f"database unreachable: {type(err).__name__}")
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def add_error_handling(app: FastAPI) -> None:
    @app.middleware("http")
    async def correlate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        cid = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = correlation_id.set(cid)
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        response.headers[CORRELATION_HEADER] = cid
        return response

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "rule": err.get("type"),
                "message": err.get("msg"),
                "value": err.get("input") if not isinstance(err.get("input"), dict) else None,
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Something we did not foresee is our fault, but the caller still gets a reason and the
        # correlation id to quote; the full trace is in the log under that id.
        log.exception("unhandled error", extra=log_fields(error=repr(exc)))
        return JSONResponse(
            {
                "detail": "the service could not process the request",
                "correlation_id": correlation_id.get(),
            },
            status_code=503,
        )
