"""Who is calling: bearer tokens (JWT) verified into a Principal with roles and an organisation.

Development and tests sign tokens locally with a shared secret (HS256, `pnm token`); production
verifies the identity provider's tokens with its public key (RS256 or ES256). Every refusal is an
AuthError: 401 (with `WWW-Authenticate: Bearer`) when the caller is not known, 403 when the caller
is known but lacks the role, each with a detail that says exactly why.

The roles a token may carry are named in `pnm.shared.roles`.

The routes' side (the verified caller as a FastAPI dependency, a route's role requirements) is
`pnm.shared.access`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.shared.http import DomainError
from pnm.shared.roles import FEED_PREFIX, TERMINAL_PREFIX

log = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash output
MAX_TOKEN_CHARS = 16_384  # far beyond any real token; longer input is refused unparsed


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    organisation: str | None

    def has(self, role: str) -> bool:
        return role in self.roles


class AuthError(DomainError):
    """401: the caller is not known (no, bad or expired token). 403: known but not allowed."""

    def __init__(self, status: Literal[401, 403], detail: str) -> None:
        super().__init__(
            status, detail, headers={"WWW-Authenticate": "Bearer"} if status == 401 else None
        )


class AuthSettings(BaseSettings):
    """PNM_AUTH_SECRET (HS256, development and tests) or PNM_AUTH_PUBLIC_KEY (PEM, production)."""

    model_config = SettingsConfigDict(env_prefix="PNM_AUTH_", extra="ignore")

    secret: str | None = Field(default=None, repr=False)
    public_key: str | None = None
    issuer: str = "pnm-dev"
    audience: str = "pnm"
    leeway_seconds: int = 30
    # The longest a token may live (`exp - iat`): short for people, longer for systems whose
    # credentials live in a machine (feeds and terminals). A token with both kinds of role gets
    # the shorter limit.
    max_person_token_hours: float = Field(default=12.0, gt=0)
    max_system_token_hours: float = Field(default=168.0, gt=0)

    @field_validator("secret", "public_key")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator("public_key")
    @classmethod
    def _real_newlines(cls, value: str | None) -> str | None:
        # A PEM passed through an environment variable often arrives with literal "\n".
        if value is not None and "\n" not in value and "\\n" in value:
            return value.replace("\\n", "\n")
        return value

    @field_validator("leeway_seconds")
    @classmethod
    def _leeway_not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("PNM_AUTH_LEEWAY_SECONDS must not be negative")
        return value

    @model_validator(mode="after")
    def _one_key(self) -> AuthSettings:
        if self.secret is not None and self.public_key is not None:
            raise ValueError("set PNM_AUTH_SECRET or PNM_AUTH_PUBLIC_KEY, not both")
        return self


SYSTEM_ROLE_PREFIXES = (FEED_PREFIX, TERMINAL_PREFIX)


def max_lifetime(roles: Iterable[str], settings: AuthSettings) -> tuple[str, timedelta]:
    """The kind of token ("system" or "person") and the longest `exp - iat` it may have: a
    system token holds only feed and terminal roles; any other role makes it a person's."""
    roles = list(roles)
    if roles and all(r.startswith(SYSTEM_ROLE_PREFIXES) for r in roles):
        return "system", timedelta(hours=settings.max_system_token_hours)
    return "person", timedelta(hours=settings.max_person_token_hours)


def lifetime_problem(roles: Iterable[str], seconds: float, settings: AuthSettings) -> str | None:
    """Why a token for `roles` living `seconds` (exp - iat) is not acceptable, or None. In
    seconds, not a timedelta: an `exp` in the year 10^12 must be refused, not overflow."""
    roles = list(roles)
    kind, limit = max_lifetime(roles, settings)
    if seconds <= 0:
        return "token lifetime (exp - iat) must be positive"
    if seconds > limit.total_seconds():
        return (
            f"token lifetime (exp - iat) of {seconds / 3600:g} h exceeds the maximum of "
            f"{limit.total_seconds() / 3600:g} h for a {kind} token "
            f"(roles [{', '.join(sorted(roles))}])"
        )
    return None


def _check_secret(secret: str) -> None:
    # Checked here rather than in AuthSettings so that no error message ever echoes the secret.
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the HS256 secret (PNM_AUTH_SECRET) must be at least {MIN_SECRET_BYTES} bytes"
        )


def _asymmetric_algorithms(pem: str) -> tuple[Any, list[str]]:
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as err:
        raise ValueError(f"PNM_AUTH_PUBLIC_KEY is not a PEM public key: {err}") from err
    if isinstance(key, rsa.RSAPublicKey):
        return key, ["RS256"]
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, ["ES256"]
    raise ValueError("PNM_AUTH_PUBLIC_KEY must be an RSA or a P-256 EC public key")


class TokenVerifier:
    """Turns a bearer token into a Principal, or refuses it with the specific reason."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._key: Any = None
        self._algorithms: list[str] = []
        if settings.secret is not None:
            _check_secret(settings.secret)
            self._key, self._algorithms = settings.secret, ["HS256"]
        elif settings.public_key is not None:
            self._key, self._algorithms = _asymmetric_algorithms(settings.public_key)
        else:
            log.warning("no PNM_AUTH_SECRET or PNM_AUTH_PUBLIC_KEY: every token will be refused")

    @property
    def algorithms(self) -> tuple[str, ...]:
        return tuple(self._algorithms)

    def verify(self, token: str) -> Principal:
        if self._key is None:
            raise AuthError(401, "no token verification key configured")
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise AuthError(401, "malformed token: expected a JWT (header.payload.signature)")
        settings = self.settings
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["sub", "iat", "exp", "iss", "aud"]},
            )
        except jwt.InvalidSignatureError as err:
            raise AuthError(401, "bad token signature") from err
        except jwt.ExpiredSignatureError as err:
            raise AuthError(401, "token expired") from err
        except jwt.InvalidAudienceError as err:
            raise AuthError(
                401, f"wrong token audience: expected {settings.audience!r} ({err})"
            ) from err
        except jwt.InvalidIssuerError as err:
            raise AuthError(401, f"wrong token issuer: expected {settings.issuer!r}") from err
        except jwt.MissingRequiredClaimError as err:
            raise AuthError(401, f"token is missing the {err.claim!r} claim") from err
        except jwt.InvalidAlgorithmError as err:
            raise AuthError(
                401,
                f"token algorithm {_header_alg(token)!r} not accepted "
                f"(accepted: {', '.join(self._algorithms)})",
            ) from err
        except jwt.ImmatureSignatureError as err:
            raise AuthError(
                401, f"token not yet valid (nbf or iat in the future beyond the leeway): {err}"
            ) from err
        except jwt.DecodeError as err:
            raise AuthError(401, f"malformed token: {err}") from err
        except jwt.PyJWTError as err:
            raise AuthError(401, f"invalid token: {err}") from err
        principal = _principal(claims)
        # Both are numbers here: PyJWT has checked them while validating `exp` and `iat`.
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if problem := lifetime_problem(principal.roles, lifetime, settings):
            raise AuthError(401, problem)
        return principal

    def readiness_problem(self) -> str | None:
        """Why this service cannot serve anyone (no key: every token is refused), or None."""
        if self._key is None:
            return (
                "no token verification key configured (PNM_AUTH_SECRET or PNM_AUTH_PUBLIC_KEY): "
                "every request would be refused"
            )
        return None


def _header_alg(token: str) -> str:
    try:
        return str(jwt.get_unverified_header(token).get("alg"))
    except jwt.PyJWTError:
        return "?"


def _principal(claims: dict[str, Any]) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthError(401, "token 'sub' claim must be a non-empty string")
    if "roles" not in claims:
        raise AuthError(401, "token is missing the 'roles' claim")
    roles = claims["roles"]
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise AuthError(401, "token 'roles' claim must be a list of non-empty strings")
    organisation = claims.get("org")
    if organisation is not None and not isinstance(organisation, str):
        raise AuthError(401, "token 'org' claim must be a string")
    return Principal(subject=subject, roles=frozenset(roles), organisation=organisation)


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: Iterable[str],
    organisation: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    issuer: str = "pnm-dev",
    audience: str = "pnm",
    now: datetime | None = None,
    limits: AuthSettings | None = None,
) -> str:
    """An HS256 token as TokenVerifier(AuthSettings(secret=secret)) expects it; a `ttl` beyond
    the roles' maximum lifetime (from `limits`, else the defaults) is a ValueError."""
    if isinstance(roles, str):
        raise TypeError("roles must be an iterable of role names, not a single string")
    roles = list(roles)
    _check_secret(secret)
    limits = limits or AuthSettings.model_construct()
    if problem := lifetime_problem(roles, ttl.total_seconds(), limits):
        raise ValueError(problem)
    issued = now if now is not None else datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if organisation is not None:
        claims["org"] = organisation
    return jwt.encode(claims, secret, algorithm="HS256")
