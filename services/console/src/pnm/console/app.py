from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from pnm.console import handlers
from pnm.console.adapters.services_api import ServiceUnreachable
from pnm.console.adapters.tables import declared
from pnm.console.domain.labels import label
from pnm.console.domain.queues import QueryProblem
from pnm.console.web.actions import ReadRefused, refused_page
from pnm.console.web.origin import SameOriginForms
from pnm.console.web.pages import build_router, not_signed_in
from pnm.console.web.render import STATIC, page
from pnm.console.web.session import NotSignedIn, language
from pnm.shared.auth import AuthError
from pnm.shared.contracts.topics import (
    CASES,
    DECISIONS,
    FEEDS,
    HOLD_STATES,
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_FEEDS,
    MANIFEST_LINES,
    EventType,
)
from pnm.shared.http import field_errors, invalid_input, refusal
from pnm.shared.messaging.processor import Handler, dispatch_by_type
from pnm.shared.migrations import migrations_dir
from pnm.shared.service import ServiceContext, ServiceDefinition


def subscriptions(ctx: ServiceContext) -> Mapping[str, Handler]:
    """The events the read model is built from (adapters/tables.py)."""
    every = {
        MANIFEST_LINES: handlers.on_manifest_line,
        MANIFEST_ARRIVALS: handlers.on_arrival,
        MANIFEST_ETA: handlers.on_eta,
        DECISIONS: handlers.on_decision,
        HOLD_STATES: handlers.on_hold_state,
        CASES: handlers.on_case,
        FEEDS: handlers.on_feed,
        MANIFEST_FEEDS: handlers.on_feed,
    }
    return {
        topic.name: dispatch_by_type(
            {
                kind: handler
                for kind in topic.event_types
                if kind != EventType.PRENOTIFICATION_WATERMARK
            }
        )
        for topic, handler in every.items()
    }


def is_api(request: Request) -> bool:
    """A route of the console's API document (the dead-letter admin API) answers in JSON like
    every service's; the pages answer with a page."""
    route = request.scope.get("route")
    return isinstance(route, APIRoute) and route.include_in_schema


def configure_app(ctx: ServiceContext, app: FastAPI) -> None:
    """The console's static files, and its refusals as pages (not JSON)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SameOriginForms)

    @app.exception_handler(NotSignedIn)
    async def sign_in_first(request: Request, err: NotSignedIn) -> Response:
        return not_signed_in(request, err)

    @app.exception_handler(AuthError)
    async def refused(request: Request, err: AuthError) -> Response:
        if is_api(request):
            return refusal(err)
        return page(request, "error.html", status_code=err.status, problem=err.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> Response:
        if is_api(request):
            return invalid_input(err)
        problem = "; ".join(
            f"{e['field'] or 'request'}={e['value']!r}: {e['message']}" for e in field_errors(err)
        )
        return page(request, "error.html", status_code=422, problem=problem)

    @app.exception_handler(QueryProblem)
    async def bad_query(request: Request, err: QueryProblem) -> Response:
        return page(request, "error.html", status_code=400, problem=str(err))

    @app.exception_handler(ReadRefused)
    async def service_refused(request: Request, err: ReadRefused) -> Response:
        return refused_page(request, err)

    @app.exception_handler(ServiceUnreachable)
    async def unreachable(request: Request, err: ServiceUnreachable) -> Response:
        problem = f"{label(language(request), 'error.unreachable')} ({err})"
        return page(request, "error.html", status_code=503, problem=problem)


definition = ServiceDefinition(
    name="console",
    tables=declared,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    subscriptions=subscriptions,
    configure_app=configure_app,
    description="The console for NVWA/PD inspectors and customs pre-arrival teams",
    serves_pages=True,
)
