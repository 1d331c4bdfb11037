"""Forms are sent only from the console's own pages: a POST that a browser says came from
another site is refused (403) before any route runs. The sign-in cookie is SameSite=Strict,
but in production the identity provider's proxy adds the token to every request, so the
browser's word on where a form came from is what stops a forged one (docs/console.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site(headers: Headers) -> str | None:
    """Why a state-changing request is not from the console's own pages, or None."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"a form sent from another site (Sec-Fetch-Site: {fetch_site[:20]})"
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        if urlsplit(origin).netloc != headers.get("host", ""):
            return f"a form sent from another origin ({origin[:100]})"
    elif origin == "null":
        return "a form sent from an opaque origin"
    return None


class SameOriginForms:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            why = cross_site(Headers(scope=scope))
            if why is not None:
                refusal = PlainTextResponse(f"refused: {why}", status_code=403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
