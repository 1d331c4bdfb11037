"""Who is looking: the same bearer tokens and checks as every API (pnm.shared.auth). The token
comes in the Authorization header (production, behind the identity provider's proxy) or in the
console's cookie, set by the sign-in page. The cookie holds the token itself: the console keeps
no sessions of its own, and every service it calls checks the token again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from pnm.console.domain.labels import CONSOLE_LANGUAGES, DEFAULT_LANGUAGE
from pnm.shared.access import OFFICIAL_READERS, Requires
from pnm.shared.auth import AuthError, Principal, TokenVerifier

TOKEN_COOKIE = "pnm_console_token"
LANGUAGE_COOKIE = "pnm_console_lang"
# The roles the console serves: the officials (feeds and terminals have no pages).
CONSOLE_ROLES = OFFICIAL_READERS


class NotSignedIn(Exception):
    """No token, or one that is refused: the page asks the person to sign in."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Person:
    principal: Principal
    token: str
    language: str

    @property
    def roles(self) -> frozenset[str]:
        return self.principal.roles

    def has(self, role: str) -> bool:
        return self.principal.has(role)


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in CONSOLE_LANGUAGES else DEFAULT_LANGUAGE


def presented_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.cookies.get(TOKEN_COOKIE)


def signed_in(request: Request) -> Person:
    token = presented_token(request)
    if not token:
        raise NotSignedIn("not signed in")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = verifier.verify(token)
    except AuthError as err:
        raise NotSignedIn(err.detail) from err
    Requires(*CONSOLE_ROLES).check(principal)
    return Person(principal, token, language(request))


SignedIn = Annotated[Person, Depends(signed_in)]
