"""The FastAPI app every service gets: its router, correlation ids, health, metrics and
error responses that say what was wrong (4xx), never a bare 500."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pnm.shared.contracts.limits import JSON_DEPTH_MAX, json_depth
from pnm.shared.observability import Heartbeat, correlation_id, log_fields
from pnm.shared.text import shown, unstorable

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
MAX_OFFSET = 1_000_000  # deeper pages: narrow the filters instead
# A database row number in a path: positive and within PostgreSQL's bigint.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class DomainError(Exception):
    """A request that is well-formed but not acceptable: answered with its status and detail
    (and, for invalid input, each field, value and rule in `errors`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.errors = errors


def invalid_field(field: str, value: Any, rule: str, message: str) -> DomainError:
    """The 422 of one invalid field, in the shape of every other refusal of input."""
    return DomainError(
        422,
        "invalid request",
        errors=[{"field": field, "rule": rule, "message": message, "value": shown(value)}],
    )


class HttpLimits(BaseSettings):
    """What one request may bring (PNM_HTTP_MAX_BODY_BYTES, ...): see docs/limits.md."""

    model_config = SettingsConfigDict(env_prefix="PNM_HTTP_", extra="ignore")

    # A bulk request or manifest of 20,000 records is about 40 MB of JSON.
    max_body_bytes: int = Field(default=64 * 2**20, ge=1)
    max_upload_bytes: int = Field(default=128 * 2**20, ge=1)
    max_json_depth: int = Field(default=JSON_DEPTH_MAX, ge=1)


_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


class RequestLimits:
    """Refuses, before any route reads it, a body that is too large (413), that is not JSON
    where JSON is required (415: every body but a file upload is JSON here) or that nests
    deeper than any record (422); the body read here is handed on to the route unchanged."""

    def __init__(self, app: ASGIApp, limits: HttpLimits | None = None, forms: bool = False) -> None:
        self.app = app
        self.limits = limits or HttpLimits()
        # A service of pages (the console) also takes the bodies of HTML forms.
        self.forms = forms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        upload = media_type == "multipart/form-data"
        limit = self.limits.max_upload_bytes if upload else self.limits.max_body_bytes
        too_large = JSONResponse(
            {"detail": f"the request body is larger than the limit of {limit} bytes"},
            status_code=413,
        )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            body += message.get("body", b"")
            if len(body) > limit:
                await too_large(scope, receive, send)
                return
            more = message.get("more_body", False)
        refusal = self._refusal(bytes(body), media_type, upload)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _refusal(self, body: bytes, media_type: str, upload: bool) -> JSONResponse | None:
        if upload or not body:
            return None
        if self.forms and media_type == "application/x-www-form-urlencoded":
            return None
        if not _is_json(media_type):
            return JSONResponse(
                {
                    "detail": f"the body must be JSON, sent as Content-Type: application/json "
                    f"(got {shown(media_type or 'no Content-Type')!r})"
                },
                status_code=415,
            )
        depth = json_depth(body)
        if depth > self.limits.max_json_depth:
            return JSONResponse(
                {
                    "detail": "invalid request",
                    "errors": [
                        {
                            "field": "",
                            "rule": "json.depth",
                            "message": f"the JSON nests {depth} deep; at most "
                            f"{self.limits.max_json_depth} levels are accepted",
                            "value": None,
                        }
                    ],
                },
                status_code=422,
            )
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: only the client's disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


# A readiness check: why the service cannot serve, or None when it can.
ReadinessCheck = Callable[[], str | None]


def add_common_routes(
    app: FastAPI,
    engine: AsyncEngine | None,
    heartbeats: Callable[[], Sequence[Heartbeat]],
    checks: Sequence[ReadinessCheck] = (),
    warnings: Callable[[], Iterable[str]] = tuple,
    details: Callable[[], dict[str, Any]] = dict,
) -> None:
    """`checks`: what makes the service not ready (each gives a problem or None).
    `warnings`: what people must know that a restart would not fix (e.g. a reconciliation
    gap): listed in the readiness body, and readiness stays green.
    `details`: what does not make a service unready either, e.g. that its consumers are
    catching up (docs/operations.md)."""

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "not ready"}})
    async def ready() -> JSONResponse:
        problems = [f"{hb.name} is not beating" for hb in heartbeats() if not hb.healthy()]
        problems += [problem for check in checks if (problem := check()) is not None]
        if engine is not None:
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as err:
                problems.append(f"database unreachable: {type(err).__name__}")
        notes = {"warnings": w} if (w := list(warnings())) else {}
        if problems:
            return JSONResponse(
                {"status": "not ready", "problems": problems, **notes, **details()},
                status_code=503,
            )
        return JSONResponse({"status": "ready", **notes, **details()})

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def refusal(exc: DomainError) -> JSONResponse:
    """The JSON answer of a refused request: its detail and, for input, each field's error."""
    body: dict[str, Any] = {"detail": exc.detail}
    if exc.errors is not None:
        body["errors"] = exc.errors
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def add_error_statuses(app: FastAPI, statuses: Mapping[type[Exception], int]) -> None:
    """The one place a service's domain errors become HTTP answers (its `error_statuses`):
    each exception type with its status, its message as the answer's detail."""
    for error, status in statuses.items():

        async def answer(_request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return refusal(DomainError(status, str(exc)))

        app.add_exception_handler(error, answer)


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each invalid field of a request: its name, rule, message and (shortened) value."""
    return [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "rule": err.get("type"),
            "message": err.get("msg"),
            "value": None if isinstance(err.get("input"), dict | list) else shown(err.get("input")),
        }
        for err in exc.errors()
    ]


def invalid_input(exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": "invalid request", "errors": field_errors(exc)}, status_code=422)


def add_error_handling(app: FastAPI, forms: bool = False) -> None:
    # Added before the correlation middleware, so that its refusals carry the id as well.
    app.add_middleware(RequestLimits, forms=forms)

    @app.middleware("http")
    async def correlate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if unstorable(request.url.path) or any(
            unstorable(k) or unstorable(v) for k, v in request.query_params.multi_items()
        ):
            return JSONResponse(
                {"detail": "the URL contains a NUL character or an unpaired surrogate"},
                status_code=422,
            )
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
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_input(exc)

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


class FieldError(BaseModel):
    field: str
    rule: str | None
    message: str | None
    value: Any = None


class Problem(BaseModel):
    """Every error response: what was wrong, and for invalid input each field, rule and value."""

    model_config = ConfigDict(extra="allow")

    detail: str
    errors: list[FieldError] = []


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no valid bearer token"},
    403: {"model": Problem, "description": "the token's roles do not allow this"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}


def raw_records(schema: str, most: int) -> Any:
    """A request's records as raw objects, each validated on its own so that a bad one refuses
    only itself; the OpenAPI document still names the schema each must follow."""
    return Field(
        min_length=1,
        max_length=most,
        json_schema_extra={"items": {"$ref": f"#/components/schemas/{schema}"}},
    )


def add_openapi_models(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """Put `models` (and what they use) into the app's OpenAPI components, and document the
    422 of invalid input as the `Problem` this service really answers with."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        documented: list[type[BaseModel]] = [Problem, *models]
        _, definitions = models_json_schema(
            [(m, "validation") for m in documented],
            ref_template="#/components/schemas/{model}",
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in definitions.get("$defs", {}).items():
            schemas.setdefault(name, schema)
        problem = {"$ref": "#/components/schemas/Problem"}
        for operation in (
            op for path in document.get("paths", {}).values() for op in path.values()
        ):
            invalid = operation.get("responses", {}).get("422")
            if invalid and "HTTPValidationError" in str(invalid):
                invalid["content"] = {"application/json": {"schema": problem}}
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def json_body(model: type[BaseModel], *, many: bool = False) -> dict[str, Any]:
    """`openapi_extra` documenting a request body of `model` (or a list of them)."""
    ref: dict[str, Any] = {"$ref": f"#/components/schemas/{model.__name__}"}
    schema = {"type": "array", "items": ref} if many else ref
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def raw_json(request: Request) -> Any:
    """The request body as JSON, for routes that validate it themselves."""
    try:
        return await request.json()
    except ValueError as err:
        raise DomainError(422, f"the body is not valid JSON: {shown(err)}") from err
