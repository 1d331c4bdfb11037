"""Every refusal the holds service answers (401, 403, and 409 to a state change) goes into the
audit trail: who asked, if the token could be read, with which roles, for what, and why not.

An ASGI middleware around the whole holds app, so that every route is covered, the ones added
later too. The entry is written in a transaction of its own: the refused request's work is
rolled back, its refusal is kept."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pnm.holds.audit import Actor, record
from pnm.shared.auth import AuthError, TokenVerifier
from pnm.shared.http import CORRELATION_HEADER
from pnm.shared.observability import log_fields
from pnm.shared.service import ServiceContext
from pnm.shared.text import shown

log = logging.getLogger(__name__)

REFUSALS = frozenset({401, 403, 409})
# Who asked, when the token could not be read (no, bad or expired token).
UNIDENTIFIED = Actor("(unidentified)", ())
ACTION = "request.refused"

UNRECORDED = Counter(
    "pnm_audit_refusals_unrecorded_total",
    "Refusals answered but not written to the audit trail (database unreachable)",
)


class RefusalAudit:
    def __init__(self, app: ASGIApp, context: ServiceContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def keep_refusals(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] in REFUSALS:
                start = message  # held back until the refusal is recorded
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._record(Request(scope), start, bytes(body))
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body), "more_body": False})

        await self.app(scope, receive, keep_refusals)

    async def _record(self, request: Request, start: Message, body: bytes) -> None:
        status = int(start["status"])
        reason = _reason(body)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
        actor = _actor(request)
        path = shown(request.url.path) or ""
        try:
            async with self.context.engine.begin() as conn:
                await record(
                    conn,
                    actor=actor,
                    action=ACTION,
                    subject_type="request",
                    subject_id=f"{request.method} {path}",
                    at=self.context.clock(),
                    after={
                        "status": status,
                        "method": request.method,
                        "path": path,
                        "correlation_id": headers.get(CORRELATION_HEADER.lower()),
                    },
                    outcome="refused",
                    detail=reason,
                )
        except Exception:
            # The caller is refused either way; what is lost is said in the log and a metric.
            UNRECORDED.inc()
            log.exception(
                "refusal not recorded in the audit trail",
                extra=log_fields(
                    status=status, method=request.method, path=path, subject=actor.subject
                ),
            )


def _reason(body: bytes) -> str:
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return shown(body.decode("utf-8", "replace")) or ""
    detail = answer.get("detail") if isinstance(answer, dict) else None
    return str(detail) if detail is not None else shown(answer) or ""


def _actor(request: Request) -> Actor:
    """The caller, if the bearer token is valid; else UNIDENTIFIED (the reason says why)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return UNIDENTIFIED
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return Actor.of(verifier.verify(token.strip()))
    except AuthError:
        return UNIDENTIFIED


def audit_refusals(context: ServiceContext, app: FastAPI) -> None:
    """`ServiceDefinition.configure_app` of the holds service."""
    app.add_middleware(RefusalAudit, context=context)
