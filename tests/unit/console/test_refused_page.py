"""A service's refusal is shown as the error page with the service's status, as the signed-in
person, and still as a page (never a 500) when the person's token ran out in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from starlette.requests import Request

from pnm.console.adapters.services_api import Answer
from pnm.console.web.actions import ReadRefused, refused_page
from pnm.shared.auth import AuthSettings, TokenVerifier, mint_token

SECRET = "a-test-secret-of-at-least-thirty-two-characters"


def request_with(token: str) -> Request:
    app = SimpleNamespace(
        state=SimpleNamespace(verifier=TokenVerifier(AuthSettings(secret=SECRET)))
    )
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/holds/unknown",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "app": app,
    }
    return Request(scope)


def token(issued: datetime) -> str:
    return mint_token(
        SECRET, subject="pd-1", roles=["pd-inspector"], ttl=timedelta(minutes=5), now=issued
    )


def test_a_refusal_is_shown_with_the_services_status_as_the_person() -> None:
    shown = refused_page(
        request_with(token(datetime.now(UTC))), ReadRefused(Answer(404, {"detail": "no hold 'x'"}))
    )
    assert shown.status_code == 404
    assert "no hold" in bytes(shown.body).decode()
    assert "pd-1" in bytes(shown.body).decode()


def test_a_token_run_out_in_between_still_gives_the_page() -> None:
    expired = token(datetime.now(UTC) - timedelta(hours=1))
    shown = refused_page(request_with(expired), ReadRefused(Answer(404, {"detail": "no hold 'x'"})))
    assert shown.status_code == 404
    assert "no hold" in bytes(shown.body).decode()
