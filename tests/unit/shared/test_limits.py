"""The limits of docs/limits.md, on the canonical records directly: every channel validates with
these records, so a cap tested here holds for REST, bulk, files and Kafka input alike."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.indicators import IndicatorSetDocument
from pnm.shared.contracts.limits import (
    CONTAINERS_MAX,
    DESCRIPTION_MAX,
    GOODS_MAX,
    IDENTIFIER_MAX,
    MASS_MAX_KG,
    NAME_MAX,
    DateWindow,
    json_depth,
)
from pnm.shared.contracts.records import ChedType, ManifestLine, PreNotification
from pnm.testing.records import container, manifest_line, prenotification

LINE = manifest_line("ST-1", "1", hs_code="020130", description="beef", containers=[container(1)])


def line_with(**changes: Any) -> dict[str, Any]:
    data = LINE.model_dump(mode="json")
    for path, value in changes.items():
        node: Any = data
        *parents, last = path.split("__")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return data


def refusal(data: dict[str, Any]) -> tuple[str, str]:
    """(field, rule) of the one refusal `data` gets."""
    with pytest.raises(ValidationError) as caught:
        ManifestLine.model_validate(data)
    [error] = caught.value.errors()
    return ".".join(str(p) for p in error["loc"]), error["type"]


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf, float("1e999")])
def test_a_number_that_is_not_finite_is_refused(number: float) -> None:
    field, rule = refusal(line_with(goods__0__gross_mass_kg=number))
    assert field == "goods.0.gross_mass_kg"
    assert rule in {"finite_number", "greater_than"}


def test_a_non_finite_number_is_refused_as_it_arrives_in_json() -> None:
    data = json.loads(json.dumps(line_with(goods__0__gross_mass_kg=math.inf)))
    assert refusal(data) == ("goods.0.gross_mass_kg", "finite_number")


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("goods__0__gross_mass_kg", MASS_MAX_KG * 2, "less_than_equal"),
        ("goods__0__packages", 10**12, "less_than_equal"),
        ("version", 2**31, "less_than_equal"),
        ("goods__0__item", GOODS_MAX + 1, "less_than_equal"),
    ],
)
def test_numbers_have_upper_bounds_from_the_domain(path: str, value: int, rule: str) -> None:
    assert refusal(line_with(**{path: value}))[1] == rule


@pytest.mark.parametrize(
    ("path", "length"),
    [
        ("consignee__name", NAME_MAX + 1),
        ("line_id", IDENTIFIER_MAX + 1),
        ("manifest_id", 3000),
        ("terminal", 3000),
        ("goods__0__description", DESCRIPTION_MAX + 1),
        ("transport_document__number", 3000),
        ("vessel_name", 3000),
    ],
)
def test_every_string_has_a_length_cap(path: str, length: int) -> None:
    field, rule = refusal(line_with(**{path: "A" * length}))
    assert (field, rule) == (path.replace("__", "."), "string_too_long")


def test_a_3000_character_container_is_refused() -> None:
    field, rule = refusal(line_with(containers=["A" * 3000]))
    assert (field, rule) == ("containers.0", "string_too_long")


def test_a_container_number_as_written_with_separators_is_accepted() -> None:
    ManifestLine.model_validate(line_with(containers=["pnmu 000001-3"]))


def test_lists_are_capped() -> None:
    field, rule = refusal(line_with(containers=[container(n) for n in range(CONTAINERS_MAX + 1)]))
    assert (field, rule) == ("containers", "too_long")
    goods = LINE.model_dump(mode="json")["goods"] * (GOODS_MAX + 1)
    assert refusal(line_with(goods=goods)) == ("goods", "too_long")


@pytest.mark.parametrize(
    "identifier", ["a/b", "a?b", "a#b", "a%2F", "a b", "a\tb", "a\x01b", "-start", "ü"]
)
@pytest.mark.parametrize("field", ["manifest_id", "line_id", "terminal"])
def test_identifiers_are_refused_outside_their_character_set(field: str, identifier: str) -> None:
    assert refusal(line_with(**{field: identifier})) == (field, "string_pattern_mismatch")


@given(st.text(min_size=1, max_size=IDENTIFIER_MAX))
def test_every_accepted_identifier_travels_in_a_url_path_unchanged(identifier: str) -> None:
    try:
        line = ManifestLine.model_validate(line_with(manifest_id=identifier, line_id=identifier))
    except ValidationError:
        return
    assert quote(line.manifest_id, safe="") == line.manifest_id
    assert quote(line.line_id, safe="") == line.line_id


@pytest.mark.parametrize(
    "eta", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T05:00:00+06:00"]
)
def test_an_instant_that_cannot_be_expressed_in_utc_is_refused(eta: str) -> None:
    assert refusal(line_with(eta=eta)) == ("eta", "datetime_out_of_range")


def test_every_datetime_of_a_prenotification_is_checked_for_utc() -> None:
    data = prenotification(
        "CHEDPP.NL.2026.0000001",
        ched_type=ChedType.CHED_PP,
        cn_code="08061010",
        description="grapes",
        containers=[container(1)],
    ).model_dump(mode="json")
    data["submitted_at"] = "0001-01-01T00:00:00+14:00"
    with pytest.raises(ValidationError) as caught:
        PreNotification.model_validate(data)
    assert [e["type"] for e in caught.value.errors()] == ["datetime_out_of_range"]


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WINDOW = DateWindow(past=timedelta(days=30), future=timedelta(days=365))


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        NOW - timedelta(days=30, seconds=1),
        NOW + timedelta(days=365, seconds=1),
    ],
)
def test_dates_outside_the_intake_window_are_refused(value: datetime) -> None:
    reason = WINDOW.refusal(value, NOW)
    assert reason is not None and value.isoformat() in reason


@pytest.mark.parametrize(
    "value", [NOW, NOW - timedelta(days=30), NOW + timedelta(days=365), NOW - timedelta(hours=1)]
)
def test_dates_inside_the_intake_window_pass(value: datetime) -> None:
    assert WINDOW.refusal(value, NOW) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_json_depth_counts_nesting_and_ignores_brackets_in_strings(value: Any) -> None:
    text = json.dumps(value)
    assert json_depth(text) == _depth(value)
    assert json_depth(text.encode()) == _depth(value)


def test_json_depth_takes_any_depth_without_recursion() -> None:
    assert json_depth(b"[" * 1_000_000) == 1_000_000


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (("parameters", "weights", "arrival_within"), "-1e999"),
        (("parameters", "match_threshold"), "NaN"),
        (("note",), json.dumps("x" * 5000)),
        (("indicators", 0, "description"), json.dumps("x" * 5000)),
    ],
)
def test_an_indicator_set_holds_finite_numbers_and_bounded_text(
    path: tuple[Any, ...], raw: str
) -> None:
    # An analyst's upload is stored as JSONB: found by the hostile-input suite as a 503.
    document: Any = shipped_indicator_set().document.model_dump(mode="json")
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = "\x01HOSTILE\x01"
    text = json.dumps(document).replace(json.dumps("\x01HOSTILE\x01"), raw)
    with pytest.raises(ValidationError):
        IndicatorSetDocument.model_validate_json(text)
