"""Safe re-sends for every write API: a request with an `Idempotency-Key` header is answered
once; the same key with the same request gets the stored answer again and changes nothing
(no second event); the same key with another request is refused with 422.

Keys are scoped to the caller (the token's subject) and the route (method and path), kept for
`PNM_IDEMPOTENCY_RETENTION_HOURS`, in the service's own `idempotency_key` table. One ASGI
middleware for every route, so no route has to know (docs/operations.md, "Idempotency")."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pnm.shared.auth import AuthError, TokenVerifier
from pnm.shared.observability import log_fields

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_CHARS = 255
# Visible ASCII only: a key travels in a header and is shown back in error messages.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # MAX_KEY_CHARS
# Answers that say nothing about the request itself are not kept: a caller who fixes its
# token or waits out an outage re-sends with the same key and is served for real.
NOT_KEPT = frozenset({401, 403, 408, 429})
PRUNE_EVERY_SECONDS = 300.0


class IdempotencySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_IDEMPOTENCY_", extra="ignore")

    retention_hours: float = Field(default=24.0, gt=0)
    # A claim not answered within this time is taken to be abandoned (its process died) and
    # the next request with the key is processed.
    in_progress_seconds: float = Field(default=120.0, gt=0)


@dataclass(frozen=True)
class _Request:
    subject: str
    route: str
    key: str
    fingerprint: str


class IdempotencyMiddleware:
    """`app.add_middleware(IdempotencyMiddleware, engine=..., table=..., verifier=...)`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: AsyncEngine,
        table: Table,
        verifier: Callable[[], TokenVerifier],
        settings: IdempotencySettings | None = None,
    ) -> None:
        self._app = app
        self._engine = engine
        self._table = table
        self._verifier = verifier
        self._settings = settings or IdempotencySettings()
        self._pruned_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        raw_key = headers.get(HEADER.lower())
        if raw_key is None:
            await self._app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not KEY_PATTERN.fullmatch(key):
            await _answer(send, 422, _invalid_key(key))
            return
        subject = self._subject(headers.get("authorization"))
        if subject is None:  # the route refuses the caller itself, with the reason
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        request = _Request(
            subject=subject,
            route=f"{scope['method']} {scope['path']}",  # the full path, mount included
            key=key,
            fingerprint=_fingerprint(scope, headers.get("content-type", b""), body),
        )
        if not await self._claim(request):
            await self._answer_again(request, send)
            return
        await self._run_and_keep(request, scope, body, send)

    def _subject(self, authorization: bytes | None) -> str | None:
        if authorization is None:
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            return self._verifier().verify(token.strip()).subject
        except AuthError:
            return None

    async def _claim(self, request: _Request) -> bool:
        """True when this request is the first with its key (or the earlier one expired or was
        abandoned); the claim row is committed before the route runs."""
        table = self._table
        settings = self._settings
        async with self._engine.begin() as conn:
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
                self._pruned_at = time.monotonic()
                await conn.execute(delete(table).where(table.c.expires_at < func.now()))
            await conn.execute(
                delete(table).where(
                    table.c.subject == request.subject,
                    table.c.route == request.route,
                    table.c.key == request.key,
                    or_(
                        table.c.expires_at < func.now(),
                        and_(
                            table.c.status_code.is_(None),
                            table.c.created_at
                            < func.now() - timedelta(seconds=settings.in_progress_seconds),
                        ),
                    ),
                )
            )
            claimed = await conn.scalar(
                pg_insert(table)
                .values(
                    subject=request.subject,
                    route=request.route,
                    key=request.key,
                    fingerprint=request.fingerprint,
                    expires_at=func.now() + timedelta(hours=settings.retention_hours),
                )
                .on_conflict_do_nothing()
                .returning(table.c.key)
            )
        return claimed is not None

    async def _answer_again(self, request: _Request, send: Send) -> None:
        table = self._table
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        table.c.fingerprint, table.c.status_code, table.c.content_type, table.c.body
                    ).where(*self._same(request))
                )
            ).first()
        if row is None:  # expired between the claim and now: the caller may simply re-send
            await _answer(send, 409, {"detail": f"{HEADER} {request.key!r} expired meanwhile"})
        elif row.fingerprint != request.fingerprint:
            await _answer(send, 422, _reused_key(request.key))
        elif row.status_code is None:
            await _answer(
                send,
                409,
                {"detail": f"a request with {HEADER} {request.key!r} is still being processed"},
                extra=[(b"retry-after", b"1")],
            )
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": row.status_code,
                    "headers": [
                        (b"content-type", (row.content_type or "application/json").encode()),
                        (b"content-length", str(len(row.body or b"")).encode()),
                        (REPLAYED_HEADER.lower().encode(), b"true"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": bytes(row.body or b"")})

    async def _run_and_keep(self, request: _Request, scope: Scope, body: bytes, send: Send) -> None:
        sent_body = False

        async def replay() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        content_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self._app(scope, replay, capture)
        except BaseException:
            await self._release(request)
            raise
        if status >= 500 or status in NOT_KEPT:
            await self._release(request)
            return
        table = self._table
        async with self._engine.begin() as conn:
            await conn.execute(
                update(table)
                .where(*self._same(request))
                .values(status_code=status, content_type=content_type, body=b"".join(chunks))
            )

    async def _release(self, request: _Request) -> None:
        """Forget the claim: the request had no lasting effect the caller could rely on."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(self._table).where(*self._same(request)))
        except Exception as err:  # it expires after `in_progress_seconds` anyway
            log.warning("idempotency claim not released", extra=log_fields(error=repr(err)))

    def _same(self, request: _Request) -> tuple[Any, ...]:
        table = self._table
        return (
            table.c.subject == request.subject,
            table.c.route == request.route,
            table.c.key == request.key,
        )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _fingerprint(scope: Scope, content_type: bytes, body: bytes) -> str:
    """What makes two requests the same: method, path, query and body. A multipart upload's
    boundary is chosen anew by the client for every send, so it is left out."""
    media, _, params = content_type.decode("latin-1").partition(";")
    if media.strip().lower().startswith("multipart/"):
        boundary = re.search(r'boundary="?([^";]+)"?', params)
        if boundary:
            body = body.replace(boundary.group(1).encode("latin-1"), b"")
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
        digest.update(part.encode() + b"\0")
    digest.update(media.strip().lower().encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _invalid_key(key: str) -> dict[str, Any]:
    return {
        "detail": "invalid request",
        "errors": [
            {
                "field": f"header.{HEADER}",
                "rule": "idempotency_key",
                "message": f"1 to {MAX_KEY_CHARS} visible ASCII characters (no spaces)",
                "value": key[:64],
            }
        ],
    }


def _reused_key(key: str) -> dict[str, Any]:
    return {
        "detail": f"{HEADER} {key[:64]!r} was already used for a different request",
        "errors": [
            {
                "field": f"header.{HEADER}",
                "rule": "idempotency_key_reused",
                "message": "the same key must be sent with the same method, path and body; "
                "use a new key for a new request",
                "value": key[:64],
            }
        ],
    }


async def _answer(
    send: Send, status: int, body: dict[str, Any], extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
