"""The scenario generator's catalogue as data files (cli/src/pnm/cli/data/scenario/): shipped in
the package, checked when read, a bad row refused with its file, row and field named."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from pnm.cli.scenario.catalogue import (
    CONTROLLED,
    WORDED_CONTROLLED,
    CatalogueError,
    GoodsFile,
    PartiesFile,
    TransportFile,
    load,
)
from pnm.shared.contracts.records import ChedType, Regime


def _shipped(name: str) -> dict[str, Any]:
    text = resources.files("pnm.cli.data").joinpath("scenario", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _refused(name: str, model: type[Any], data: dict[str, Any]) -> str:
    with pytest.raises(CatalogueError) as refused:
        load(name, model, json.dumps(data))
    return str(refused.value)


def test_the_shipped_files_load() -> None:
    assert load("parties.json", PartiesFile).importers
    assert load("transport.json", TransportFile).flights
    goods = load("goods.json", GoodsFile)
    assert goods.controlled == CONTROLLED
    beef = next(g for g in CONTROLLED if g.name == "chilled beef")
    assert (beef.regime, beef.ched, beef.kg_per_package) == (Regime.VET, ChedType.CHED_P, 25)


def test_a_worded_row_like_a_controlled_one_takes_its_other_fields() -> None:
    shrimps = next(g for g in CONTROLLED if g.name == "shrimps")
    worded = next(g for g in WORDED_CONTROLLED if g.name == "shrimps")
    assert worded.descriptions != shrimps.descriptions
    assert (worded.cn_code, worded.ched, worded.fishery) == (shrimps.cn_code, shrimps.ched, True)
    data = _shipped("goods.json")
    data["worded_controlled"].append({"like": "unicorn steaks", "descriptions": ["x"]})
    row = len(data["worded_controlled"]) - 1
    message = _refused("goods.json", GoodsFile, data)
    assert f"goods.json: worded_controlled[{row}], field like" in message
    assert "unicorn steaks" in message


@pytest.mark.parametrize(
    ("name", "model", "section", "row", "field", "value"),
    [
        ("goods.json", GoodsFile, "controlled", 3, "share", "often"),  # ill-typed
        ("transport.json", TransportFile, "flights", 0, "handeler", "WFS"),  # unknown: not ignored
    ],
)
def test_a_bad_field_is_refused_naming_file_row_and_field(
    name: str, model: type[Any], section: str, row: int, field: str, value: str
) -> None:
    data = _shipped(name)
    data[section][row][field] = value
    label = data[section][row].get("name") or data[section][row].get("number")
    message = _refused(name, model, data)
    assert message.startswith(f"{name}: {section}[{row}] ({label!r}), field {field}: ")


def test_a_missing_section_or_field_is_refused() -> None:
    data = _shipped("parties.json")
    del data["importers"][2]["country"]
    message = _refused("parties.json", PartiesFile, data)
    assert message.startswith("parties.json: importers[2] (") and "field country" in message
    data = _shipped("parties.json")
    del data["forwarders"]
    assert "parties.json: forwarders: Field required" in _refused("parties.json", PartiesFile, data)


def test_a_file_that_is_not_json_is_refused() -> None:
    with pytest.raises(CatalogueError, match=r"^goods.json: not JSON"):
        load("goods.json", GoodsFile, "{")
