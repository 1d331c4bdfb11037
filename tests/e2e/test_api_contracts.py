"""schemathesis against every service's OpenAPI, on a running standalone system:
no input it can generate gets a 5xx, and every response is one the document promises."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from infra import bearer
from schemathesis.specs.openapi.checks import positive_data_acceptance

ADMIN = bearer(
    "admin",
    "feed:client-import",
    "feed:vgc",
    "feed:dmf",
    "pd-inspector",
    "nvwa-inspector",
    "analyst",
    "terminal:ECTDELTA",
)


@pytest.mark.parametrize(
    ("service", "operations_at_least"),
    [("prenotification", 15), ("manifest-ingest", 9), ("matcher", 2), ("holds", 3)],
)
def test_no_5xx_and_documented_responses_only(
    running: str, service: str, operations_at_least: int
) -> None:
    # The operations are driven from here with Hypothesis directly (schemathesis' own pytest
    # plugin does not run under this pytest).
    schema = schemathesis.openapi.from_url(f"{running}/{service}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same cases in every CI run; drop it locally to explore
        )
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            # Schema-valid is not domain-valid (an unknown BCP, a CN code of the wrong regime):
            # such input is refused with a 422 that says why, as the document promises.
            case.call_and_validate(headers=ADMIN, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as err:
            failures.append(f"{operation.label}: {err}"[:3000])
    assert operations >= operations_at_least
    assert not failures, "\n\n".join(failures)


def test_openapi_is_served_with_the_service_prefix(running: str) -> None:
    document = httpx.get(f"{running}/prenotification/openapi.json").json()
    assert document["servers"] == [{"url": "/prenotification"}]
    assert "/prenotifications/bulk" in document["paths"]
