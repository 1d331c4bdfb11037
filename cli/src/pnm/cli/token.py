"""`pnm token`: a development bearer token signed with PNM_AUTH_SECRET."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import NoReturn

from pydantic import ValidationError

from pnm.shared.auth import AuthSettings, mint_token


def _fail(message: str) -> NoReturn:
    print(f"pnm token: {message}", file=sys.stderr)
    sys.exit(2)


def run_token(roles: list[str], subject: str, organisation: str | None, ttl_hours: float) -> None:
    try:
        settings = AuthSettings()
    except ValidationError as err:
        # Messages only: an input value could be the secret itself.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        _fail(f"invalid PNM_AUTH_* settings: {problems}")
    if settings.secret is None:
        _fail(
            "no PNM_AUTH_SECRET configured: set it (at least 32 bytes) to the same value the "
            "services use; production tokens come from the identity provider instead"
        )
    if not roles:
        _fail("at least one --role is required")
    if ttl_hours <= 0:
        _fail("--ttl-hours must be positive")
    try:
        token = mint_token(
            settings.secret,
            subject=subject,
            roles=roles,
            organisation=organisation,
            ttl=timedelta(hours=ttl_hours),
            issuer=settings.issuer,
            audience=settings.audience,
            limits=settings,
        )
    except ValueError as err:
        _fail(str(err))
    print(token)
