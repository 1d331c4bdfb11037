"""The console's pages (HTTP only: parse, authorise, read or call, render)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pnm.console import views
from pnm.console.domain.labels import CONSOLE_LANGUAGES
from pnm.console.domain.queues import (
    PAGE_SIZES,
    QUEUES_BY_NAME,
    SORTS,
    Direction,
    QueryProblem,
    Queue,
    QueueQuery,
    authority_scope,
    checked_query,
)
from pnm.console.settings import ConsoleSettings
from pnm.console.web import actions, detail, kpis
from pnm.console.web.render import base_path, page
from pnm.console.web.session import (
    CONSOLE_ROLES,
    LANGUAGE_COOKIE,
    TOKEN_COOKIE,
    NotSignedIn,
    Person,
    SignedIn,
)
from pnm.shared.auth import AuthError, AuthSettings, mint_token
from pnm.shared.service import ServiceContext

SUBJECT_MAX = 100
FILTERS_FORM = "filters"  # the id of a queue's filter form (web/templates/queue.html)


def safe_next(request: Request, target: str) -> str:
    """Only a path inside the console: a sign-in never sends anyone elsewhere."""
    base = base_path(request)
    if target.startswith(f"{base}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{base}/"


def build_router(ctx: ServiceContext, settings: ConsoleSettings | None = None) -> APIRouter:
    settings = settings or ConsoleSettings()
    router = APIRouter(include_in_schema=False)
    router.include_router(detail.router(ctx, settings))
    router.include_router(actions.router(ctx, settings))

    async def queue_view(
        request: Request, person: Person, name: str, query: QueueQuery, template: str
    ) -> HTMLResponse:
        queue = _queue(name)
        query = checked_query(queue, query)
        async with ctx.engine.connect() as conn:
            found = await views.queue_page(conn, queue, query, authority_scope(person.roles))
            feeds = await views.feeds(conn)

        def page_link(number: int) -> str:
            return _query_string(query, page=number)

        return page(
            request,
            template,
            queue=queue,
            query=query,
            page=found,
            feeds=feeds,
            sorts=SORTS[queue.source],
            sizes=PAGE_SIZES,
            refresh=int(settings.refresh_seconds),
            query_string=_query_string(query),
            page_link=page_link,
            current=queue.name,
            person=person,
        )

    @router.get("/queues/{name}", response_class=HTMLResponse)
    async def queue(
        request: Request,
        person: SignedIn,
        name: str,
        query: AskedQuery,
    ) -> HTMLResponse:
        return await queue_view(request, person, name, query, "queue.html")

    @router.get("/queues/{name}/rows", response_class=HTMLResponse)
    async def queue_rows(
        request: Request,
        person: SignedIn,
        name: str,
        query: AskedQuery,
    ) -> HTMLResponse:
        rows = await queue_view(request, person, name, query, "_queue_rows.html")
        if request.headers.get("HX-Trigger") == FILTERS_FORM:
            # The address bar shows the filtered queue (to reload, bookmark or share it); the
            # rows' own refresh leaves the history alone.
            rows.headers["HX-Push-Url"] = (
                f"{request.url.path.removesuffix('/rows')}?{request.url.query}"
            )
        return rows

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "") -> HTMLResponse:
        return _login_page(request, settings, next)

    @router.post("/login", response_model=None)
    async def login(
        request: Request,
        subject: Annotated[str, Form(max_length=SUBJECT_MAX)],
        role: Annotated[str, Form(max_length=50)],
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        auth = AuthSettings()
        if not settings.local_login or auth.secret is None:
            return _login_page(request, settings, next, "local sign-in is off", 403)
        if role not in CONSOLE_ROLES:
            return _login_page(
                request, settings, next, f"role {role[:50]!r} is not a console role", 422
            )
        if not subject.strip():
            return _login_page(request, settings, next, "subject: a name is required", 422)
        token = mint_token(
            auth.secret,
            subject=subject.strip(),
            roles=[role],
            issuer=auth.issuer,
            audience=auth.audience,
        )
        return _signed_in(request, settings, token, next)

    @router.post("/login/token", response_model=None)
    async def login_with_token(
        request: Request,
        token: Annotated[str, Form(max_length=16_384)],
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        try:
            request.app.state.verifier.verify(token.strip())
        except AuthError as err:
            return _login_page(request, settings, next, err.detail, 401)
        return _signed_in(request, settings, token.strip(), next)

    @router.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        response = RedirectResponse(f"{base_path(request)}/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path=base_path(request) or "/")
        return response

    @router.post("/language")
    async def choose_language(
        request: Request,
        language: Annotated[str, Form(max_length=5)],
        back: Annotated[str, Form(max_length=2000)] = "",
    ) -> RedirectResponse:
        response = RedirectResponse(safe_next(request, back), status_code=303)
        if language in CONSOLE_LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=365 * 86400,
                samesite="lax",
                path=base_path(request) or "/",
                secure=settings.secure_cookies,
            )
        return response

    router.include_router(kpis.router(ctx, settings))
    return router


def asked_query(
    q: Annotated[str, Query(max_length=1000)] = "",
    bcp: Annotated[str, Query(max_length=1000)] = "",
    terminal: Annotated[str, Query(max_length=1000)] = "",
    regime: Annotated[str, Query(max_length=1000)] = "",
    sort: Annotated[str, Query(max_length=1000)] = "",
    direction: Annotated[Direction, Query()] = "asc",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> QueueQuery:
    """A queue page's query parameters, as the page and its live rows both take them; the
    values are checked against the queue in `checked_query`."""
    return QueueQuery(q, bcp, terminal, regime, sort, direction, page_number, size)


AskedQuery = Annotated[QueueQuery, Depends(asked_query)]


def _queue(name: str) -> Queue:
    try:
        return QUEUES_BY_NAME[name]
    except KeyError:
        raise QueryProblem("queue", name, f"one of {', '.join(QUEUES_BY_NAME)}") from None


def _query_string(query: QueueQuery, **changes: Any) -> str:
    values = {
        "q": query.search,
        "bcp": query.bcp,
        "terminal": query.terminal,
        "regime": query.regime,
        "sort": query.sort,
        "direction": query.direction,
        "page": query.page,
        "size": query.size,
    } | changes
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _login_page(
    request: Request, settings: ConsoleSettings, next: str, problem: str = "", status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "login.html",
        status_code=status,
        problem=problem,
        roles=CONSOLE_ROLES,
        local_login=settings.local_login and AuthSettings().secret is not None,
        next=safe_next(request, next),
    )


def _signed_in(request: Request, settings: ConsoleSettings, token: str, next: str) -> Response:
    response = RedirectResponse(safe_next(request, next), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path=base_path(request) or "/",
    )
    return response


def not_signed_in(request: Request, err: NotSignedIn) -> Response:
    """A page asks for sign-in; a fragment fetched by htmx tells the browser to go there."""
    target = f"{base_path(request)}/login?{urlencode({'next': str(request.url.path)})}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
