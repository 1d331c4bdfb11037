"""Bearer tokens: what is accepted, what is refused, and that each refusal says why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from pydantic import ValidationError

from pnm.cli.token import run_token
from pnm.shared.access import principal_dependency, require_any
from pnm.shared.auth import AuthError, AuthSettings, Principal, TokenVerifier, mint_token
from pnm.shared.http import add_error_handling

SECRET = "test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(autouse=True)
def _no_auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET", "PUBLIC_KEY", "ISSUER", "AUDIENCE", "LEEWAY_SECONDS"):
        monkeypatch.delenv(f"PNM_AUTH_{name}", raising=False)


def hs_verifier(**overrides: Any) -> TokenVerifier:
    return TokenVerifier(AuthSettings(secret=SECRET, **overrides))


def refusal(verifier: TokenVerifier, token: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verifier.verify(token)
    return caught.value


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {
        "sub": "alice",
        "roles": ["pd-inspector"],
        "iss": "pnm-dev",
        "aud": "pnm",
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def pem(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- tokens -------------------------------------------------------------------------------------


def test_a_minted_token_verifies_into_its_principal() -> None:
    token = mint_token(
        SECRET, subject="alice", roles=["nvwa-inspector", "terminal:ECT"], organisation="NVWA"
    )
    principal = hs_verifier().verify(token)
    assert principal == Principal(
        subject="alice", roles=frozenset({"nvwa-inspector", "terminal:ECT"}), organisation="NVWA"
    )
    assert principal.has("terminal:ECT")
    assert not principal.has("admin")


def test_the_organisation_is_optional() -> None:
    principal = hs_verifier().verify(mint_token(SECRET, subject="feed", roles=["feed:vgc"]))
    assert principal.organisation is None
    assert principal.roles == frozenset({"feed:vgc"})


def test_an_expired_token_is_refused() -> None:
    token = mint_token(
        SECRET,
        subject="alice",
        roles=["analyst"],
        ttl=timedelta(hours=8),
        now=datetime.now(UTC) - timedelta(hours=9),
    )
    err = refusal(hs_verifier(), token)
    assert (err.status, err.detail) == (401, "token expired")
    assert err.headers == {"WWW-Authenticate": "Bearer"}


def test_expiry_allows_the_configured_leeway() -> None:
    ten_seconds_late = datetime.now(UTC) - timedelta(hours=1, seconds=10)
    token = mint_token(
        SECRET, subject="alice", roles=["analyst"], ttl=timedelta(hours=1), now=ten_seconds_late
    )
    assert hs_verifier(leeway_seconds=30).verify(token).subject == "alice"
    assert refusal(hs_verifier(leeway_seconds=0), token).detail == "token expired"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = mint_token("another-secret-also-long-enough-for-hs256", subject="a", roles=["admin"])
    err = refusal(hs_verifier(), token)
    assert (err.status, err.detail) == (401, "bad token signature")


def test_a_tampered_payload_breaks_the_signature() -> None:
    header, _payload, signature = mint_token(SECRET, subject="a", roles=["analyst"]).split(".")
    forged = b64(json.dumps(claims(sub="a", roles=["admin"])).encode())
    assert refusal(hs_verifier(), f"{header}.{forged}.{signature}").detail == "bad token signature"


def test_a_token_for_another_audience_is_refused() -> None:
    token = mint_token(SECRET, subject="a", roles=["analyst"], audience="someone-else")
    err = refusal(hs_verifier(), token)
    assert err.status == 401
    assert err.detail.startswith("wrong token audience: expected 'pnm'")


def test_a_token_from_another_issuer_is_refused() -> None:
    token = mint_token(SECRET, subject="a", roles=["analyst"], issuer="evil-idp")
    assert refusal(hs_verifier(), token).detail == "wrong token issuer: expected 'pnm-dev'"


def test_issuer_and_audience_come_from_the_settings() -> None:
    token = mint_token(SECRET, subject="a", roles=["analyst"], issuer="idp", audience="pnm-prod")
    assert hs_verifier(issuer="idp", audience="pnm-prod").verify(token).subject == "a"


@pytest.mark.parametrize("claim", ["roles", "sub", "exp", "iss", "aud"])
def test_a_token_without_a_required_claim_is_refused(claim: str) -> None:
    token = jwt.encode(claims(**{claim: None}), SECRET, algorithm="HS256")
    err = refusal(hs_verifier(), token)
    assert (err.status, err.detail) == (401, f"token is missing the {claim!r} claim")


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"roles": "admin"}, "token 'roles' claim must be a list of non-empty strings"),
        ({"roles": ["admin", 7]}, "token 'roles' claim must be a list of non-empty strings"),
        ({"sub": ""}, "token 'sub' claim must be a non-empty string"),
        ({"org": ["NVWA"]}, "token 'org' claim must be a string"),
    ],
)
def test_a_claim_of_the_wrong_shape_is_refused(overrides: dict[str, Any], detail: str) -> None:
    token = jwt.encode(claims(**overrides), SECRET, algorithm="HS256")
    assert refusal(hs_verifier(), token).detail == detail


def test_an_unsigned_none_algorithm_token_is_refused() -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{header}.{b64(json.dumps(claims(roles=['admin'])).encode())}."  # no signature
    err = refusal(hs_verifier(), token)
    assert (err.status, err.detail) == (
        401,
        "token algorithm 'none' not accepted (accepted: HS256)",
    )


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "x" * 20_000])
def test_garbage_is_refused_as_malformed(token: str) -> None:
    err = refusal(hs_verifier(), token)
    assert err.status == 401
    assert err.detail.startswith("malformed token")


def test_without_a_key_every_token_is_refused() -> None:
    verifier = TokenVerifier(AuthSettings())
    err = refusal(verifier, mint_token(SECRET, subject="a", roles=["admin"]))
    assert (err.status, err.detail) == (401, "no token verification key configured")


def test_secret_and_public_key_together_are_a_configuration_error() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValidationError, match="not both"):
        AuthSettings(secret=SECRET, public_key=pem(key.public_key()))


def test_a_short_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes") as caught:
        TokenVerifier(AuthSettings(secret="short-secret"))
    assert "short-secret" not in str(caught.value)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        mint_token("short-secret", subject="a", roles=["admin"])


def test_roles_must_not_be_a_bare_string() -> None:
    with pytest.raises(TypeError):
        mint_token(SECRET, subject="a", roles="admin")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv("PNM_AUTH_PUBLIC_KEY", pem(key.public_key()).replace("\n", "\\n"))
    monkeypatch.setenv("PNM_AUTH_AUDIENCE", "pnm-prod")
    monkeypatch.setenv("PNM_AUTH_SECRET", "  ")  # blank counts as unset
    settings = AuthSettings()
    assert settings.secret is None
    assert settings.audience == "pnm-prod"
    assert TokenVerifier(settings).algorithms == ("RS256",)


# --- asymmetric keys (production) ---------------------------------------------------------------


def test_rs256_tokens_verify_with_the_public_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(AuthSettings(public_key=pem(key.public_key())))
    token = jwt.encode(claims(roles=["customs-prearrival"], org="Douane"), key, algorithm="RS256")
    principal = verifier.verify(token)
    assert principal == Principal("alice", frozenset({"customs-prearrival"}), "Douane")


def test_es256_tokens_verify_with_an_ec_public_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    verifier = TokenVerifier(AuthSettings(public_key=pem(key.public_key())))
    assert verifier.algorithms == ("ES256",)
    assert verifier.verify(jwt.encode(claims(), key, algorithm="ES256")).subject == "alice"


def test_an_rs256_token_from_another_key_is_refused() -> None:
    ours = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    theirs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(AuthSettings(public_key=pem(ours.public_key())))
    token = jwt.encode(claims(), theirs, algorithm="RS256")
    assert refusal(verifier, token).detail == "bad token signature"


def test_hs256_is_refused_when_a_public_key_is_configured() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = pem(key.public_key())
    verifier = TokenVerifier(AuthSettings(public_key=public_pem))

    plain = mint_token(SECRET, subject="a", roles=["admin"])
    assert refusal(verifier, plain).detail == (
        "token algorithm 'HS256' not accepted (accepted: RS256)"
    )

    # The classic confusion attack: HMAC-signed with the (public) PEM as the secret.
    signing_input = ".".join(
        [
            b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
            b64(json.dumps(claims(roles=["admin"])).encode()),
        ]
    )
    mac = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    err = refusal(verifier, f"{signing_input}.{b64(mac)}")
    assert (err.status, err.detail) == (
        401,
        "token algorithm 'HS256' not accepted (accepted: RS256)",
    )


def test_a_public_key_that_is_not_pem_fails_at_start() -> None:
    with pytest.raises(ValueError, match="not a PEM public key"):
        TokenVerifier(AuthSettings(public_key="-----BEGIN PUBLIC KEY-----\nnope\n"))


# --- FastAPI ------------------------------------------------------------------------------------


# Module level: with `from __future__ import annotations` FastAPI resolves the annotation by name
# in the module's globals. Every setting is explicit, so the environment cannot change it.
APP_VERIFIER = TokenVerifier(
    AuthSettings(
        secret=SECRET, public_key=None, issuer="pnm-dev", audience="pnm", leeway_seconds=30
    )
)
Caller = Annotated[Principal, Depends(principal_dependency(APP_VERIFIER))]


def tiny_app() -> FastAPI:
    app = FastAPI()
    add_error_handling(app)

    @app.get("/whoami")
    def whoami(principal: Caller) -> dict[str, Any]:
        return {"sub": principal.subject, "org": principal.organisation}

    @app.post("/holds/release")
    def release(principal: Caller) -> dict[str, str]:
        require_any(principal, "nvwa-inspector", "admin")
        return {"released_by": principal.subject}

    return app


async def call(method: str, path: str, authorization: str | None = None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=tiny_app()), base_url="http://t"
    ) as client:
        return await client.request(method, path, headers=headers)


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "missing Authorization header (expected 'Bearer <token>')"),
        ("Basic YWxpY2U6c2VjcmV0", "malformed Authorization header (expected 'Bearer <token>')"),
        ("Bearer", "malformed Authorization header (expected 'Bearer <token>')"),
        ("Bearer garbage", "malformed token: expected a JWT (header.payload.signature)"),
        ("Bearer a.b.c", "malformed token: Invalid header padding"),
    ],
)
async def test_no_or_garbage_token_gives_401_with_www_authenticate(
    authorization: str | None, detail: str
) -> None:
    response = await call("GET", "/whoami", authorization)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": detail}


async def test_an_expired_token_gives_401_saying_so() -> None:
    token = mint_token(
        SECRET, subject="a", roles=["admin"], now=datetime.now(UTC) - timedelta(days=1)
    )
    response = await call("GET", "/whoami", f"Bearer {token}")
    assert response.status_code == 401
    assert response.json() == {"detail": "token expired"}


async def test_a_good_token_gives_200_and_the_principal() -> None:
    token = mint_token(SECRET, subject="alice", roles=["analyst"], organisation="NVWA")
    response = await call("GET", "/whoami", f"bearer {token}")  # the scheme is case-insensitive
    assert response.status_code == 200
    assert response.json() == {"sub": "alice", "org": "NVWA"}


async def test_a_missing_role_gives_403_with_the_reason() -> None:
    token = mint_token(SECRET, subject="bob", roles=["terminal:ECT", "pd-inspector"])
    response = await call("POST", "/holds/release", f"Bearer {token}")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers
    assert response.json() == {
        "detail": "one of roles nvwa-inspector, admin required; "
        "token has roles [pd-inspector, terminal:ECT]"
    }


async def test_any_one_of_the_roles_is_enough() -> None:
    token = mint_token(SECRET, subject="root", roles=["admin"])
    response = await call("POST", "/holds/release", f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"released_by": "root"}


def test_require_any_names_a_single_role() -> None:
    with pytest.raises(AuthError) as caught:
        require_any(Principal("a", frozenset(), None), "admin")
    assert (caught.value.status, caught.value.detail) == (
        403,
        "role admin required; token has roles []",
    )
    require_any(Principal("a", frozenset({"admin"}), None), "admin")  # no error


def test_the_openapi_shows_a_bearer_scheme() -> None:
    schema = tiny_app().openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "JWT with `sub`, `roles` and optionally `org` claims "
        "(`pnm token` in development)",
    }
    assert schema["paths"]["/whoami"]["get"]["security"] == [{"HTTPBearer": []}]


# --- pnm token ----------------------------------------------------------------------------------


def test_pnm_token_prints_a_token_the_services_accept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNM_AUTH_SECRET", SECRET)
    run_token(["terminal:ECT", "feed:vgc"], "ect-gate", "ECT", 1.5)
    token = capsys.readouterr().out.strip()
    principal = hs_verifier().verify(token)
    assert principal == Principal("ect-gate", frozenset({"terminal:ECT", "feed:vgc"}), "ECT")
    lifetime = jwt.decode(token, options={"verify_signature": False})
    assert lifetime["exp"] - lifetime["iat"] == 5400


def test_pnm_token_without_a_secret_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_token(["admin"], "alice", None, 8)
    assert caught.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert "no PNM_AUTH_SECRET configured" in out.err


def test_pnm_token_with_a_short_secret_exits_2_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNM_AUTH_SECRET", "tiny-dev-secret")
    with pytest.raises(SystemExit) as caught:
        run_token(["admin"], "alice", None, 8)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "at least 32 bytes" in err
    assert "tiny-dev-secret" not in err
