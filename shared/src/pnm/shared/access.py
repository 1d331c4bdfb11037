"""Who may call a route (docs/access.md): the verified caller as a FastAPI dependency, a
route's role requirements (`Requires`), and routers that check them before the body is read
(`AuthoriseFirst`). Tokens and their verification are `pnm.shared.auth`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pnm.shared.auth import AuthError, Principal, TokenVerifier
from pnm.shared.roles import OFFICIALS, TERMINAL_PREFIX

_bearer = HTTPBearer(
    auto_error=False,
    description="JWT with `sub`, `roles` and optionally `org` claims (`pnm token` in development)",
)


def principal_dependency(verifier: TokenVerifier) -> Callable[..., Principal]:
    """A FastAPI dependency giving the verified caller:
    `Caller = Annotated[Principal, Depends(principal_dependency(verifier))]`."""

    def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            # HTTPBearer(auto_error=False) answers None both for no header and a non-Bearer one.
            if not request.headers.get("Authorization"):
                raise AuthError(401, "missing Authorization header (expected 'Bearer <token>')")
            raise AuthError(401, "malformed Authorization header (expected 'Bearer <token>')")
        return verifier.verify(credentials.credentials)

    return principal


def require_any(principal: Principal, *roles: str) -> None:
    """403 unless the principal holds at least one of the roles (see Requires)."""
    Requires(*roles).check(principal)


# The officials who may read decisions, pre-notifications and holds (docs/architecture.md,
# "Roles").
OFFICIAL_READERS = OFFICIALS


def app_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller, by the verifier the hosting runtime put on `app.state.verifier`."""
    verifier: TokenVerifier = request.app.state.verifier
    return principal_dependency(verifier)(request, credentials)


# Module-level, so routers may annotate parameters with it (FastAPI resolves it at import).
Caller = Annotated[Principal, Depends(app_principal)]


class Requires:
    """A route's role requirement, as a dependency giving the verified caller:
    `caller: Annotated[Principal, Depends(Requires("feed:dmf", "admin"))]`. A role ending in
    `:*` admits any role with that prefix ("terminal:*": any terminal). On a route of an
    AuthoriseFirst router it is checked before the body is read, parsed or validated, so a caller
    without the role learns nothing about the body's rules and leaves nothing behind."""

    def __init__(self, *roles: str) -> None:
        if not roles:
            raise ValueError("Requires needs at least one role")
        self.roles = roles

    def admits(self, principal: Principal) -> bool:
        return any(self._matches(role) for role in principal.roles)

    def _matches(self, role: str) -> bool:
        return any(
            role.startswith(wanted[:-1]) if wanted.endswith(":*") else role == wanted
            for wanted in self.roles
        )

    def check(self, principal: Principal) -> None:
        """403 with the roles wanted and held, unless the principal holds one of the roles."""
        if self.admits(principal):
            return
        named = [r.replace(":*", ":<code>") for r in self.roles]
        wanted = f"role {named[0]}" if len(named) == 1 else f"one of roles {', '.join(named)}"
        raise AuthError(
            403, f"{wanted} required; token has roles [{', '.join(sorted(principal.roles))}]"
        )

    def __call__(self, principal: Caller) -> Principal:
        self.check(principal)
        return principal


def route_requirements(dependant: Dependant) -> list[Requires]:
    """Every Requires among a route's dependencies (at any depth)."""
    found = [dependant.call] if isinstance(dependant.call, Requires) else []
    return found + [r for sub in dependant.dependencies for r in route_requirements(sub)]


class AuthoriseFirst(APIRoute):
    """A route that checks its Requires before FastAPI reads, parses or validates the body:
    role first, then parse and validate (FastAPI alone parses a JSON or form body before it
    resolves any dependency)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        requirements = route_requirements(self.dependant)
        if not requirements:
            return handle

        async def authorised(request: Request) -> Response:
            principal = app_principal(request, await _bearer(request))
            for requirement in requirements:
                requirement.check(principal)
            return await handle(request)

        return authorised


# The caller of a route the officials read (checked before anything else on AuthoriseFirst).
OfficialReader = Annotated[Principal, Depends(Requires(*OFFICIAL_READERS))]


def terminal_codes(principal: Principal) -> frozenset[str]:
    """The terminals a `terminal:<code>` token speaks for."""
    return frozenset(
        r.removeprefix(TERMINAL_PREFIX) for r in principal.roles if r.startswith(TERMINAL_PREFIX)
    )
