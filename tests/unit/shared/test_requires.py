"""Route role requirements: which roles they admit, what a refusal says, and that an
AuthoriseFirst route checks them before it reads the body or validates the query."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel

from pnm.shared.access import AuthoriseFirst, Requires
from pnm.shared.auth import AuthError, AuthSettings, Principal, TokenVerifier, mint_token
from pnm.shared.http import add_error_handling

SECRET = "test-secret-that-is-long-enough-for-hs256"


def principal(*roles: str) -> Principal:
    return Principal("s", frozenset(roles), None)


def test_a_wildcard_admits_any_code_of_its_kind_only() -> None:
    terminals = Requires("terminal:*", "admin")
    assert terminals.admits(principal("terminal:ECTDELTA"))
    assert terminals.admits(principal("admin"))
    assert not terminals.admits(principal("feed:dmf"))
    assert not terminals.admits(principal("terminal"))


def test_a_refusal_names_the_roles_wanted_and_held() -> None:
    with pytest.raises(AuthError) as caught:
        Requires("terminal:*", "admin").check(principal("feed:dmf", "analyst"))
    assert caught.value.status == 403
    assert caught.value.detail == (
        "one of roles terminal:<code>, admin required; token has roles [analyst, feed:dmf]"
    )


class Body(BaseModel):
    amount: int


def app(*, authorise_first: bool = True) -> FastAPI:
    router = APIRouter(route_class=AuthoriseFirst) if authorise_first else APIRouter()

    @router.post("/things")
    def create(body: Body, caller: Annotated[Principal, Depends(Requires("feed:dmf"))]) -> int:
        return body.amount

    @router.get("/things")
    def search(
        caller: Annotated[Principal, Depends(Requires("analyst"))],
        limit: Annotated[int, Query(ge=1)] = 10,
    ) -> int:
        return limit

    application = FastAPI()
    application.state.verifier = TokenVerifier(AuthSettings(secret=SECRET))
    add_error_handling(application)
    application.include_router(router)
    return application


NOT_JSON: dict[str, Any] = {
    "content": b"not json {",
    "headers": {"Content-Type": "application/json"},
}


async def call(
    application: FastAPI,
    method: str,
    role: str,
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    token = mint_token(SECRET, subject="s", roles=[role])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as client:
        return await client.request(
            method,
            "/things",
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
            **kwargs,
        )


async def test_the_role_is_checked_before_the_body_is_parsed() -> None:
    response = await call(app(), "POST", "terminal:X", **NOT_JSON)
    assert response.status_code == 403
    assert "role feed:dmf required" in response.json()["detail"]


async def test_fastapi_alone_would_parse_the_body_first() -> None:
    response = await call(app(authorise_first=False), "POST", "terminal:X", **NOT_JSON)
    assert response.status_code == 422


async def test_the_role_is_checked_before_the_query_is_validated() -> None:
    response = await call(app(), "GET", "feed:dmf", params={"limit": "junk"})
    assert response.status_code == 403


async def test_with_the_role_the_request_is_validated_as_before() -> None:
    assert (await call(app(), "POST", "feed:dmf", json={"amount": "x"})).status_code == 422
    assert (await call(app(), "GET", "analyst", params={"limit": "junk"})).status_code == 422
    response = await call(app(), "POST", "feed:dmf", json={"amount": 3})
    assert (response.status_code, response.json()) == (200, 3)
