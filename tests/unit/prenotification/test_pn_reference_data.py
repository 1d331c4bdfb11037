"""Reference data: the shipped CN and BCP tables, and what parsing refuses."""

from __future__ import annotations

import pytest

from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.reference_data import (
    BCP_COLUMNS,
    ReferenceData,
    ReferenceDataError,
    parse_reference_data,
)
from pnm.shared.contracts.records import ChedType

CN_HEADER = "ched_type,cn_prefix,description,legal_source"
CN_OK = f"{CN_HEADER}\nCHED-PP,0806,Grapes,2019/2072\nCHED-P,0201,Beef,2021/632\n"
BCP_HEADER = ",".join(BCP_COLUMNS)
BCP_OK = f"{BCP_HEADER}\nNLRTM,Rotterdam,port,NLRTM1,yes,yes,no,yes,,5\n"


def test_shipped_data_loads() -> None:
    data = shipped_reference_data()
    assert data.version == "v1"
    assert data is shipped_reference_data(), "read once"
    assert set(data.bcps) == {"NLRTM", "NLAMS", "NLVLI", "NLHAR", "NLEEM", "NLSPL", "NLMST"}


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


def test_shipped_bcps() -> None:
    data = shipped_reference_data()
    schiphol = data.bcp("NLSPL")
    assert schiphol is not None
    assert schiphol.kind == "airport"
    assert schiphol.derogation_hours == 4
    assert schiphol.designation(ChedType.CHED_A) == "yes"
    rotterdam = data.bcp("NLRTM")
    assert rotterdam is not None
    assert rotterdam.wood_working_days == 5
    assert rotterdam.derogation_hours is None
    assert rotterdam.designation(ChedType.CHED_A) == "no"
    amsterdam = data.bcp("NLAMS")
    assert amsterdam is not None and amsterdam.name == "Amsterdam"
    assert amsterdam.designation(ChedType.CHED_PP) == "unknown"  # "?" in the source
    live_animals = {b.code for b in data.bcps.values() if b.designation(ChedType.CHED_A) == "yes"}
    assert live_animals == {"NLSPL", "NLMST"}
    assert all(data.bcps[code].kind == "airport" for code in live_animals)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NLSPL", "NLSPL"),
        ("nlams4", "NLSPL"),
        ("NLAMS", "NLAMS"),
        ("NLAMS1", "NLAMS"),
        (" nlrtm1 ", "NLRTM"),
    ],
)
def test_bcp_by_code_or_alias_case_insensitive(code: str, expected: str) -> None:
    bcp = shipped_reference_data().bcp(code)
    assert bcp is not None
    assert bcp.code == expected


@pytest.mark.parametrize("code", ["NLXXX", "", "Rotterdam", "NLAMS2"])
def test_unknown_bcp(code: str) -> None:
    assert shipped_reference_data().bcp(code) is None


def test_minimal_tables_parse() -> None:
    data = parse_reference_data("t1", CN_OK, BCP_OK)
    assert data.cn_by_ched == {
        ChedType.CHED_PP: frozenset({"0806"}),
        ChedType.CHED_P: frozenset({"0201"}),
    }
    assert data.description(ChedType.CHED_P, "0201") == "Beef"
    assert not data.is_partial(ChedType.CHED_P, "0201")
    bcp = data.bcp("nlrtm1")
    assert bcp is not None and bcp.aliases == frozenset({"NLRTM1"})
    assert bcp.designations[ChedType.CHED_A] == "no"
    assert (bcp.derogation_hours, bcp.wood_working_days) == (None, 5)


def test_coverage_column_and_question_mark() -> None:
    cn = f"{CN_HEADER},coverage\nCHED-P,1905,Bakery,2021/632,ex\nCHED-P,0201,Beef,2021/632,\n"
    bcp = f"{BCP_HEADER}\nNLAMS,Amsterdam,port,,?,yes,no,YES,,\n"
    data = parse_reference_data("t2", cn, bcp)
    assert data.is_partial(ChedType.CHED_P, "1905")
    assert not data.is_partial(ChedType.CHED_P, "0201")
    amsterdam = data.bcp("NLAMS")
    assert amsterdam is not None
    assert amsterdam.designation(ChedType.CHED_PP) == "unknown"
    assert amsterdam.designation(ChedType.CHED_D) == "yes"
    assert amsterdam.aliases == frozenset()


def test_reference_data_built_by_hand_needs_no_optional_fields() -> None:
    data = ReferenceData(version="x", cn_by_ched={}, bcps={})
    assert data.bcp("NLRTM") is None
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
        parse_reference_data("bad", cn, BCP_OK)
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            "NLVLI,Vlissingen,seaport,,yes,yes,no,yes,,",
            "kind 'seaport' must be 'port' or 'airport'",
        ),
        (
            "NLVLI,Vlissingen,port,,maybe,yes,no,yes,,",
            "ched_pp 'maybe' must be yes, no, unknown or ?",
        ),
        (
            "NLVLI,Vlissingen,port,,yes,yes,no,yes,four,",
            "derogation_hours 'four' must be a positive",
        ),
        ("NLVLI,Vlissingen,port,,yes,yes,no,yes,,0", "wood_working_days '0' must be a positive"),
        ("NLVLI,Vlissingen,port,,yes,yes,no,yes,-4,", "derogation_hours '-4'"),
        ("NL-RTM,Rotterdam,port,,yes,yes,no,yes,,", "code 'NL-RTM' must be letters and digits"),
        ("NLVLI,,port,,yes,yes,no,yes,,", "BCP NLVLI has no name"),
        ("NLAMS,Amsterdam,port,NLRTM1,yes,yes,no,yes,,", "line 3: NLRTM1 already names BCP NLRTM"),
        ("nlrtm,Rotterdam again,port,,yes,yes,no,yes,,", "line 3: NLRTM already names BCP NLRTM"),
    ],
)
def test_bcp_table_errors(row: str, says: str) -> None:
    with pytest.raises(ReferenceDataError) as err:
        parse_reference_data("bad", CN_OK, f"{BCP_OK}{row}\n")
    assert says in str(err.value)
    assert str(err.value).startswith("BCP table")


def test_bcp_table_missing_column() -> None:
    header = BCP_HEADER.replace(",wood_working_days", "")
    with pytest.raises(ReferenceDataError, match="missing column\\(s\\) wood_working_days"):
        parse_reference_data("bad", CN_OK, f"{header}\nNLRTM,Rotterdam,port,,yes,yes,no,yes,\n")
