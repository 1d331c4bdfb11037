"""What an amendment changed: field-level differences between two versions of a manifest line."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta, timezone

from pnm.manifest_ingest.domain.diff import Change, diff
from pnm.shared.contracts.records import GoodsItem, ManifestLine, Party, TransportDocument
from pnm.testing.records import BASE_ETA, container, manifest_line


def _line(**update: object) -> ManifestLine:
    line = manifest_line(
        "M1",
        "L1",
        hs_code="020130",
        description="frozen boneless beef",
        containers=[container(1), container(2)],
        bill_of_lading="MAEU254123987",
    )
    return line.model_copy(update=update) if update else line


def _item(number: int, hs_code: str | None = "020130") -> GoodsItem:
    return GoodsItem(
        item=number, hs_code=hs_code, description=f"item {number}", gross_mass_kg=1000.0 + number
    )


def test_a_first_version_has_no_changes() -> None:
    assert diff(None, _line()) == []


def test_a_new_version_with_nothing_else_changed_has_no_changes() -> None:
    assert diff(_line(), _line(version=2)) == []


def test_two_changed_fields_are_reported_sorted_by_path() -> None:
    before = _line()
    later = BASE_ETA + timedelta(hours=6)
    after = _line(version=2, terminal="APMT2", eta=later)
    assert diff(before, after) == [
        Change("eta", before.model_dump(mode="json")["eta"], after.model_dump(mode="json")["eta"]),
        Change("terminal", "ECTDELTA", "APMT2"),
    ]
    assert diff(after, before) == [
        Change("eta", after.model_dump(mode="json")["eta"], before.model_dump(mode="json")["eta"]),
        Change("terminal", "APMT2", "ECTDELTA"),
    ]


def test_a_withdrawn_line() -> None:
    assert diff(_line(), _line(version=2, withdrawn=True)) == [Change("withdrawn", False, True)]


def test_nested_records_are_compared_field_by_field() -> None:
    before = _line()
    after = _line(
        version=2,
        consignee=Party(name="Van der Berg Food B.V.", country="NL", eori="NL111222333"),
        transport_document=TransportDocument(type="HBL", number="MAEU254123987"),
    )
    assert diff(before, after) == [
        Change("consignee.name", "Van der Berg Import B.V.", "Van der Berg Food B.V."),
        Change("transport_document.type", "BL", "HBL"),
    ]


def test_a_changed_goods_item_is_reported_per_field() -> None:
    before = _line(goods=[_item(1), _item(2)])
    after = _line(goods=[_item(1), _item(2, hs_code="0202").model_copy(update={"packages": 4})])
    assert diff(before, after) == [
        Change("goods.1.hs_code", "020130", "0202"),
        Change("goods.1.packages", None, 4),
    ]


def test_an_added_goods_item_is_reported_whole() -> None:
    before = _line(goods=[_item(1)])
    after = _line(version=2, goods=[_item(1), _item(2)])
    assert diff(before, after) == [
        Change("goods.1", None, _item(2).model_dump(mode="json")),
    ]


def test_a_removed_goods_item_is_reported_whole() -> None:
    before = _line(goods=[_item(1), _item(2), _item(3)])
    after = _line(version=2, goods=[_item(1)])
    assert diff(before, after) == [
        Change("goods.1", _item(2).model_dump(mode="json"), None),
        Change("goods.2", _item(3).model_dump(mode="json"), None),
    ]


def test_numbers_in_paths_sort_numerically() -> None:
    before = _line(goods=[_item(n) for n in range(1, 12)])
    goods = list(before.goods)
    goods[2] = _item(3, hs_code="0201")
    goods[10] = _item(11, hs_code="0201")
    after = _line(goods=goods)
    assert [change.field for change in diff(before, after)] == [
        "goods.2.hs_code",
        "goods.10.hs_code",
    ]


def test_reordered_or_reformatted_containers_are_no_change() -> None:
    # Containers are a set for matching: only a different normalised set is a change.
    first, second = container(1), container(2)
    before = _line(containers=[first, second])
    reformatted = f"{second[:4].lower()} {second[4:10]}-{second[10]}"
    assert diff(before, _line(containers=[reformatted, first])) == []


def test_a_different_container_set_is_reported_as_whole_lists() -> None:
    first, second, third = container(1), container(2), container(3)
    before = _line(containers=[first, second])
    after = _line(containers=[first, third])
    assert diff(before, after) == [Change("containers", [first, second], [first, third])]
    assert diff(after, _line(containers=[first])) == [Change("containers", [first, third], [first])]


def test_document_references_are_a_set_too() -> None:
    before = _line(document_references=["CHEDP.NL.2026.0012345", "CHEDPP.NL.2026.0000001"])
    reordered = _line(document_references=["CHEDPP.NL.2026.0000001", "CHEDP.NL.2026.0012345"])
    assert diff(before, reordered) == []
    added = _line(document_references=["CHEDP.NL.2026.0012345"])
    assert diff(before, added) == [
        Change(
            "document_references",
            ["CHEDP.NL.2026.0012345", "CHEDPP.NL.2026.0000001"],
            ["CHEDP.NL.2026.0012345"],
        )
    ]


def test_the_same_instant_in_another_offset_is_no_change() -> None:
    before = _line()
    after = _line(eta=BASE_ETA.astimezone(timezone(timedelta(hours=2))))
    assert diff(before, after) == []


def test_changes_are_json() -> None:
    before = _line(goods=[_item(1), _item(2)])
    after = _line(
        version=3,
        withdrawn=True,
        eta=BASE_ETA + timedelta(days=1),
        containers=[container(9)],
        goods=[_item(1, hs_code=None)],
    )
    changes = diff(before, after)
    assert [change.field for change in changes] == [
        "containers",
        "eta",
        "goods.0.hs_code",
        "goods.1",
        "withdrawn",
    ]
    decoded = json.loads(json.dumps([asdict(change) for change in changes]))
    assert decoded == [asdict(change) for change in changes]
