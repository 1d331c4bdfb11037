"""The project's one BCP table (pnm.shared.bcp): the shipped facts, resolution by code and mode,
and what parsing refuses."""

from __future__ import annotations

import pytest

from pnm.shared.bcp.shipped import SHIPPED_TABLE_VERSION, bcp_table
from pnm.shared.bcp.table import COLUMNS, BcpTableError, parse_bcp_table
from pnm.shared.contracts.records import ChedType, Mode

TABLE = bcp_table()
HEADER = ",".join(COLUMNS)
ROTTERDAM = "NLRTM1,NLRTM,sea,Rotterdam,,yes,yes,no,yes,,5,"


def test_shipped_table_is_read_once_per_version() -> None:
    assert TABLE.version == SHIPPED_TABLE_VERSION
    assert TABLE is bcp_table(SHIPPED_TABLE_VERSION)
    with pytest.raises(BcpTableError, match="no BCP table 'v0'; known: v1"):
        bcp_table("v0")


def test_shipped_facts() -> None:
    schiphol = TABLE.resolve("NLSPL")
    assert schiphol is not None
    assert (schiphol.code, schiphol.locode, schiphol.mode, schiphol.kind) == (
        "NLAMS4",
        "NLAMS",
        Mode.AIR,
        "airport",
    )
    assert schiphol.derogation_hours == 4 and schiphol.wood_working_days is None
    assert schiphol.designation(ChedType.CHED_A) == "yes"
    rotterdam = TABLE.resolve("NLRTM", Mode.SEA)
    assert rotterdam is not None
    assert (rotterdam.wood_working_days, rotterdam.derogation_hours) == (5, None)
    assert rotterdam.designation(ChedType.CHED_A) == "no"
    amsterdam = TABLE.resolve("NLAMS", Mode.SEA)
    assert amsterdam is not None and amsterdam.name == "Amsterdam"
    assert amsterdam.designation(ChedType.CHED_PP) == "unknown"  # "?" in the source
    live_animals = {b.code for b in TABLE.designated(ChedType.CHED_A)}
    assert live_animals == {"NLAMS4", "NLMST4"}


@pytest.mark.parametrize(
    ("code", "mode", "expected"),
    [
        ("NLAMS", Mode.AIR, "NLAMS4"),
        ("NLAMS", Mode.SEA, "NLAMS1"),
        ("NLAMS", None, "NLAMS1"),  # listed first: the seaport, as both services read it
        ("NLAMS4", None, "NLAMS4"),
        ("nlams4", Mode.AIR, "NLAMS4"),
        ("NLSPL", Mode.AIR, "NLAMS4"),
        ("AMS", Mode.AIR, "NLAMS4"),
        (" nlrtm1 ", None, "NLRTM1"),
        ("NLRTM", Mode.SEA, "NLRTM1"),
        ("NLMST", Mode.AIR, "NLMST4"),
        ("MST", None, "NLMST4"),
    ],
)
def test_resolve_by_code_and_mode(code: str, mode: Mode | None, expected: str) -> None:
    bcp = TABLE.resolve(code, mode)
    assert bcp is not None
    assert bcp.code == expected


@pytest.mark.parametrize(
    ("code", "mode"),
    [
        ("NLRTM", Mode.AIR),  # a flight landing at Rotterdam does not enter at the seaport
        ("NLSPL", Mode.SEA),
        ("NLXXX", None),
        ("", None),
        (None, Mode.SEA),
        ("Rotterdam", None),
        ("NLAMS2", None),
    ],
)
def test_no_bcp(code: str | None, mode: Mode | None) -> None:
    assert TABLE.resolve(code, mode) is None


def test_candidates_of_a_notified_code() -> None:
    def codes(code: str, mode: Mode | None) -> list[str]:
        return [b.code for b in TABLE.candidates(code, mode)]

    assert codes("NLAMS", None) == ["NLAMS1", "NLAMS4"]
    assert codes("NLAMS", Mode.AIR) == ["NLAMS4"]
    assert codes("NLAMS", Mode.ROAD) == ["NLAMS1", "NLAMS4"]
    assert codes("NLXXX", Mode.SEA) == []


def test_a_notified_code_of_another_mode_is_still_the_bcp_it_names() -> None:
    named = TABLE.named("NLSPL", Mode.SEA)
    assert named is not None and named.code == "NLAMS4"
    assert TABLE.named("NLXXX", Mode.SEA) is None


def test_minimal_table_parses() -> None:
    table = parse_bcp_table(
        "t1", f"{HEADER}\n{ROTTERDAM}\nNLRTM4,NLRTM,air,Airport,RTM,?,no,no,no,4,,x\n"
    )
    port, airport = table.bcps
    assert port.aliases == frozenset() and port.designations[ChedType.CHED_A] == "no"
    assert airport.designation(ChedType.CHED_PP) == "unknown"
    assert table.resolve("RTM") is airport
    assert table.resolve("NLRTM") is port


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("NLVLI1,NLVLI,boat,Vlissingen,,yes,yes,no,yes,,,", "mode 'boat' must be one of"),
        ("NLVLI1,NLVLI,sea,Vlissingen,,maybe,yes,no,yes,,,", "ched_pp 'maybe' must be yes"),
        ("NLVLI1,NLVLI,sea,Vlissingen,,yes,yes,no,yes,four,,", "derogation_hours 'four'"),
        ("NLVLI1,NLVLI,sea,Vlissingen,,yes,yes,no,yes,,0,", "wood_working_days '0'"),
        ("NLVLI1,NLVLI,sea,Vlissingen,,yes,yes,no,yes,-4,,", "derogation_hours '-4'"),
        ("NL-RT1,NL-RT,sea,Rotterdam,,yes,yes,no,yes,,,", "locode 'NL-RT' must be a UN/LOCODE"),
        ("NLVLIX,NLVLI,sea,Vlissingen,,yes,yes,no,yes,,,", "traces_code 'NLVLIX' must be"),
        ("NLRTM1,NLVLI,sea,Vlissingen,,yes,yes,no,yes,,,", "traces_code 'NLRTM1' must be"),
        ("NLVLI1,NLVLI,sea,,,yes,yes,no,yes,,,", "BCP NLVLI1 has no name"),
        ("NLVLI1,NLVLI,sea,Vlissingen,NL-X,yes,yes,no,yes,,,", "alias 'NL-X'"),
        ("NLRTM1,NLRTM,air,Again,,yes,yes,no,yes,,,", "line 3: traces_code NLRTM1 is listed twice"),
        ("NLRTM2,NLRTM,sea,Again,,yes,yes,no,yes,,,", "line 3: NLRTM already names Rotterdam"),
        ("NLVLI1,NLVLI,sea,Vlissingen,NLRTM1,yes,yes,no,yes,,,", "NLRTM1 already names"),
        ("NLVLI1,NLVLI,sea,Vlissingen,,yes,yes,no,yes,,", "line 3: 12 fields expected"),
    ],
)
def test_table_errors(row: str, says: str) -> None:
    with pytest.raises(BcpTableError) as err:
        parse_bcp_table("bad", f"{HEADER}\n{ROTTERDAM}\n{row}\n")
    assert says in str(err.value)
    assert str(err.value).startswith("BCP table bad")


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "empty"), (f"{HEADER}\n", "no rows"), ("traces_code,locode\n", "missing column(s)")],
)
def test_table_shape_errors(text: str, says: str) -> None:
    with pytest.raises(
        BcpTableError, match=f"BCP table bad: {says}".replace("(", r"\(").replace(")", r"\)")
    ):
        parse_bcp_table("bad", text)
