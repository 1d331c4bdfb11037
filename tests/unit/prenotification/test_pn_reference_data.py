"""Reference data: the shipped CN and BCP tables, and what parsing refuses."""

from __future__ import annotations

import pytest

from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.reference_data import (
    ReferenceData,
    ReferenceDataError,
    parse_reference_data,
)
from pnm.shared.bcp.shipped import bcp_table
from pnm.shared.bcp.table import BcpTable
from pnm.shared.contracts.records import ChedType

CN_HEADER = "ched_type,cn_prefix,description,legal_source"
CN_OK = f"{CN_HEADER}\nCHED-PP,0806,Grapes,2019/2072\nCHED-P,0201,Beef,2021/632\n"
BCPS = bcp_table()


def test_shipped_data_loads() -> None:
    data = shipped_reference_data()
    assert data.version == "v1"
    assert data is shipped_reference_data(), "read once"
    assert data.bcps is BCPS, "the project's one BCP table"
    codes = {b.code for b in data.bcps.bcps}
    assert codes == {"NLRTM1", "NLAMS1", "NLVLI1", "NLHAR1", "NLEEM1", "NLAMS4", "NLMST4"}


def test_shipped_cn_table() -> None:
    cn = shipped_reference_data().cn_by_ched
    assert ChedType.CHED_D not in cn, "CHED-D means any CN code not of animal origin"
    assert {"0806", "4407", "0601"} <= cn[ChedType.CHED_PP]
    assert {"0201", "0406", "1601"} <= cn[ChedType.CHED_P]
    assert {"0102", "0106", "9508"} <= cn[ChedType.CHED_A]
    for heading in ("0301", "0306", "0307", "0407", "0511"):
        assert heading in cn[ChedType.CHED_P] and heading in cn[ChedType.CHED_A], heading


def test_no_shipped_cn_prefix_is_both_plant_and_animal() -> None:
    cn = shipped_reference_data().cn_by_ched
    animal = cn[ChedType.CHED_P] | cn[ChedType.CHED_A]
    clashes = [
        (plant, other)
        for plant in cn[ChedType.CHED_PP]
        for other in animal
        if plant.startswith(other) or other.startswith(plant)
    ]
    assert clashes == []


def test_minimal_tables_parse() -> None:
    data = parse_reference_data("t1", CN_OK, BCPS)
    assert data.cn_by_ched == {
        ChedType.CHED_PP: frozenset({"0806"}),
        ChedType.CHED_P: frozenset({"0201"}),
    }
    assert data.description(ChedType.CHED_P, "0201") == "Beef"
    assert not data.is_partial(ChedType.CHED_P, "0201")


def test_coverage_column() -> None:
    cn = f"{CN_HEADER},coverage\nCHED-P,1905,Bakery,2021/632,ex\nCHED-P,0201,Beef,2021/632,\n"
    data = parse_reference_data("t2", cn, BCPS)
    assert data.is_partial(ChedType.CHED_P, "1905")
    assert not data.is_partial(ChedType.CHED_P, "0201")


def test_reference_data_built_by_hand_needs_no_optional_fields() -> None:
    data = ReferenceData(version="x", cn_by_ched={}, bcps=BcpTable("x", ()))
    assert data.bcps.resolve("NLRTM") is None
    assert data.description(ChedType.CHED_P, "0201") is None


@pytest.mark.parametrize(
    ("cn", "says"),
    [
        ("", "CN table: empty"),
        ("ched_type,cn_prefix\nCHED-P,0201\n", "missing column(s) description, legal_source"),
        (f"{CN_HEADER}\n", "CN table: no rows"),
        (f"{CN_HEADER}\nCHED-X,0201,Beef,x\n", "line 2: ched_type 'CHED-X' is not one of"),
        (f"{CN_HEADER}\nCHED-P,02 01,Beef,x\n", "line 2: cn_prefix '02 01' must be 2 to 10 digits"),
        (f"{CN_HEADER}\nCHED-P,ex 0201,Beef,x\n", "cn_prefix 'ex 0201'"),
        (f"{CN_HEADER}\nCHED-P,0,Beef,x\n", "cn_prefix '0'"),
        (
            f"{CN_HEADER}\nCHED-P,0201,Beef,x\nCHED-P,0201,Beef again,x\n",
            "line 3: CHED-P 0201 is listed twice",
        ),
        (f"{CN_HEADER}\nCHED-P,0201,Beef\n", "line 2: fewer fields"),
        (f"{CN_HEADER}\nCHED-P,0201,Beef,x,y\n", "line 2: more fields"),
        (
            f"{CN_HEADER},coverage\nCHED-P,0201,Beef,x,some\n",
            "coverage 'some' must be 'all' or 'ex'",
        ),
    ],
)
def test_cn_table_errors(cn: str, says: str) -> None:
    with pytest.raises(ReferenceDataError) as err:
        parse_reference_data("bad", cn, BCPS)
    assert says in str(err.value)
