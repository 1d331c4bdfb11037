"""Token lifetime rules: `iat` required, `exp - iat` within the maximum for the token's roles,
no `iat` in the future, `pnm token` obeys them, and a service without a key is not ready."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from pnm.cli.token import run_token
from pnm.shared.auth import AuthError, AuthSettings, TokenVerifier, mint_token
from pnm.shared.http import add_common_routes

SECRET = "test-secret-that-is-long-enough-for-hs256"
HOUR = 3600


@pytest.fixture(autouse=True)
def _no_auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SECRET",
        "PUBLIC_KEY",
        "ISSUER",
        "AUDIENCE",
        "LEEWAY_SECONDS",
        "MAX_PERSON_TOKEN_HOURS",
        "MAX_SYSTEM_TOKEN_HOURS",
    ):
        monkeypatch.delenv(f"PNM_AUTH_{name}", raising=False)


def signed(roles: list[str], *, iat: int | None, exp: int) -> str:
    claims: dict[str, Any] = {"sub": "s", "roles": roles, "iss": "pnm-dev", "aud": "pnm"}
    claims["exp"] = exp
    if iat is not None:
        claims["iat"] = iat
    return jwt.encode(claims, SECRET, algorithm="HS256")


def refusal(token: str, **settings: Any) -> str:
    with pytest.raises(AuthError) as caught:
        TokenVerifier(AuthSettings(secret=SECRET, **settings)).verify(token)
    assert caught.value.status == 401
    return caught.value.detail


def now() -> int:
    return int(datetime.now(UTC).timestamp())


def test_a_token_without_iat_is_refused() -> None:
    assert "'iat'" in refusal(signed(["analyst"], iat=None, exp=now() + HOUR))


def test_an_exp_in_the_year_3000_is_refused_saying_why() -> None:
    year_3000 = int(datetime(3000, 1, 1, tzinfo=UTC).timestamp())
    detail = refusal(signed(["analyst"], iat=now(), exp=year_3000))
    assert "exceeds the maximum of 12 h for a person token" in detail


@pytest.mark.parametrize("exp", [10**20, 2**63, 10**300])
def test_an_absurd_exp_is_refused_not_overflowing(exp: int) -> None:
    assert "exceeds the maximum" in refusal(signed(["analyst"], iat=now(), exp=exp))


def test_a_person_token_may_live_12_hours_and_not_a_minute_more() -> None:
    verifier = TokenVerifier(AuthSettings(secret=SECRET))
    t = now()
    assert verifier.verify(signed(["pd-inspector"], iat=t, exp=t + 12 * HOUR)).subject == "s"
    assert "12 h" in refusal(signed(["pd-inspector"], iat=t, exp=t + 12 * HOUR + 60))


@pytest.mark.parametrize("roles", [["feed:vgc"], ["terminal:ECT"], ["feed:dmf", "terminal:APM"]])
def test_feeds_and_terminals_may_live_longer(roles: list[str]) -> None:
    verifier = TokenVerifier(AuthSettings(secret=SECRET))
    t = now()
    assert verifier.verify(signed(roles, iat=t, exp=t + 7 * 24 * HOUR)).roles == set(roles)
    assert "168 h for a system token" in refusal(signed(roles, iat=t, exp=t + 8 * 24 * HOUR))


def test_a_person_role_beside_a_feed_role_gets_the_person_limit() -> None:
    t = now()
    detail = refusal(signed(["feed:vgc", "admin"], iat=t, exp=t + 24 * HOUR))
    assert "12 h for a person token" in detail


def test_the_limits_are_settings() -> None:
    t = now()
    token = signed(["analyst"], iat=t, exp=t + 2 * HOUR)
    assert "1 h" in refusal(token, max_person_token_hours=1)


def test_an_exp_before_iat_is_refused() -> None:
    t = now()
    assert "must be positive" in refusal(signed(["analyst"], iat=t, exp=t - 1))


def test_an_iat_in_the_future_beyond_the_leeway_is_refused() -> None:
    t = now() + 600
    assert "not yet valid" in refusal(signed(["analyst"], iat=t, exp=t + HOUR))


def test_an_iat_slightly_ahead_within_the_leeway_is_accepted() -> None:
    t = now() + 10
    verifier = TokenVerifier(AuthSettings(secret=SECRET, leeway_seconds=30))
    assert verifier.verify(signed(["analyst"], iat=t, exp=t + HOUR)).subject == "s"


def test_mint_token_refuses_a_lifetime_beyond_the_maximum() -> None:
    with pytest.raises(ValueError, match="exceeds the maximum of 12 h"):
        mint_token(SECRET, subject="a", roles=["analyst"], ttl=timedelta(hours=13))
    limits = AuthSettings.model_construct(max_system_token_hours=200.0)
    token = mint_token(
        SECRET, subject="f", roles=["feed:vgc"], ttl=timedelta(hours=200), limits=limits
    )
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["feed:vgc"]


def test_pnm_token_refuses_a_ttl_beyond_the_maximum(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNM_AUTH_SECRET", SECRET)
    with pytest.raises(SystemExit) as exited:
        run_token(["customs-prearrival"], "bob", None, 24.0)
    assert exited.value.code == 2
    assert "exceeds the maximum of 12 h" in capsys.readouterr().err
    run_token(["feed:client-import"], "ci", None, 24.0)
    token = capsys.readouterr().out.strip()
    assert TokenVerifier(AuthSettings()).verify(token).subject == "ci"


def test_pnm_token_obeys_configured_limits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNM_AUTH_SECRET", SECRET)
    monkeypatch.setenv("PNM_AUTH_MAX_PERSON_TOKEN_HOURS", "4")
    with pytest.raises(SystemExit):
        run_token(["analyst"], "ann", None, 8.0)
    assert "maximum of 4 h" in capsys.readouterr().err


async def test_a_service_without_a_key_is_not_ready_and_says_why() -> None:
    app = FastAPI()
    verifier = TokenVerifier(AuthSettings())
    add_common_routes(app, None, list, [verifier.readiness_problem])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    [problem] = response.json()["problems"]
    assert "no token verification key configured" in problem


async def test_a_service_with_a_key_is_ready() -> None:
    app = FastAPI()
    verifier = TokenVerifier(AuthSettings(secret=SECRET))
    add_common_routes(app, None, list, [verifier.readiness_problem])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get("/health/ready")).status_code == 200
