"""A form forged on another site is refused; the console's own forms and API clients pass."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from pnm.console.web.origin import cross_site


def headers(**values: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in values.items()})


@pytest.mark.parametrize(
    "sent",
    [
        headers(host="pnm.example", origin="https://pnm.example", sec_fetch_site="same-origin"),
        headers(host="127.0.0.1:8000", origin="http://127.0.0.1:8000"),
        headers(host="pnm.example"),  # no Origin: not a browser's cross-site form (curl, tests)
        headers(host="pnm.example", sec_fetch_site="none"),  # typed by the person
    ],
)
def test_own_forms_pass(sent: Headers) -> None:
    assert cross_site(sent) is None


@pytest.mark.parametrize(
    "sent",
    [
        headers(host="pnm.example", origin="https://evil.example"),
        headers(host="pnm.example", origin="https://pnm.example", sec_fetch_site="cross-site"),
        headers(host="pnm.example", sec_fetch_site="same-site"),
        headers(host="pnm.example", origin="null"),
    ],
)
def test_forged_forms_are_refused(sent: Headers) -> None:
    assert cross_site(sent) is not None
