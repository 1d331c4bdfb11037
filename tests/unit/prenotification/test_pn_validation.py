"""Business validation of pre-notifications: each rule triggered once, and a clean record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.validation import SYSTEM_CHED_TYPES, validate
from pnm.shared.contracts.records import ChedType, Commodity, Mode, PreNotification
from pnm.shared.intake.model import Issue
from pnm.testing.records import container, prenotification

DATA = shipped_reference_data()
ARRIVAL = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
NOW = ARRIVAL - timedelta(days=2)  # scenarios submit three days before the arrival


def grapes(**update: Any) -> PreNotification:
    record = prenotification(
        "CHEDPP.NL.2026.0000001",
        ched_type=ChedType.CHED_PP,
        cn_code="08061010",
        description="Table grapes, fresh",
        containers=[container(100002), container(100003)],
        transport_document="MAEU123456789",
        expected_arrival=ARRIVAL,
    )
    return record.model_copy(update=update)


def beef(**update: Any) -> PreNotification:
    record = prenotification(
        "CHEDP.NL.2026.0012345",
        ched_type=ChedType.CHED_P,
        cn_code="020130",
        description="Frozen boneless beef",
        containers=[container(100001)],
        expected_arrival=ARRIVAL,
    )
    return record.model_copy(update=update)


def with_cn(record: PreNotification, *codes: str) -> PreNotification:
    commodities = [
        Commodity(cn_code=code, description=f"goods {code}", net_mass_kg=1000.0) for code in codes
    ]
    return record.model_copy(update={"commodities": commodities})


def as_type(ched_type: ChedType, cn: str, **update: Any) -> PreNotification:
    kind = ched_type.value.removeprefix("CHED-")
    record = beef(
        ched_type=ched_type, reference=f"CHED{kind}.NL.2026.0000077", system="traces", **update
    )
    return with_cn(record, cn)


def issues(record: PreNotification, now: datetime = NOW) -> list[Issue]:
    return validate(record, DATA, now)


def only(record: PreNotification, now: datetime = NOW) -> Issue:
    found = issues(record, now)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("record", [grapes(), beef()], ids=["ched-pp", "ched-p"])
def test_a_clean_record_has_no_issues(record: PreNotification) -> None:
    assert issues(record) == []


def test_clean_records_of_every_type_and_system() -> None:
    clean = [
        as_type(ChedType.CHED_A, "0102", bcp="NLSPL"),
        as_type(ChedType.CHED_D, "0713", bcp="NLRTM"),  # dried pulses: non-animal origin
        as_type(ChedType.CHED_P, "0301", bcp="NLSPL"),  # live fish listed under P and A
        as_type(ChedType.CHED_A, "0301", bcp="NLSPL"),
        as_type(ChedType.CHED_P, "0410", bcp="NLRTM"),  # a short code of a listed 0410 10
        grapes(system="written"),
        beef(system="written"),
        grapes(bcp="nlrtm1"),  # alias
        grapes(mode=Mode.AIR, bcp="NLSPL", containers=[], transport_document="074-1234 5675"),
        beef(country_of_origin="XK"),  # Kosovo, as EU customs codes it
    ]
    for record in clean:
        assert issues(record) == [], record


# reference -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("CHEDX.NL.2026.1", "no valid CHED type"),
        ("CHEDPP.NL.2026.12345678", "8 digits"),
        ("CHEDPP.QQ.2026.1", "'QQ' is not an ISO 3166"),
        ("1234567", "does not start with CHED or GGB"),
    ],
)
def test_reference_format(reference: str, says: str) -> None:
    issue = only(grapes(reference=reference))
    assert (issue.field, issue.value, issue.rule, issue.severity) == (
        "reference",
        reference,
        "reference.format",
        "error",
    )
    assert says in issue.message


def test_a_messy_but_valid_reference_is_no_issue() -> None:
    assert issues(grapes(reference=" ggb-pp nl 2026 1 ")) == []


def test_reference_ched_type_must_match_the_record() -> None:
    issue = only(grapes(reference="CHEDP.NL.2026.0000001"))
    assert (issue.rule, issue.field, issue.severity) == (
        "reference.ched_type",
        "reference",
        "error",
    )
    assert "CHED-P reference" in issue.message and "ched_type is CHED-PP" in issue.message


# system ----------------------------------------------------------------------------------


def test_system_ched_types() -> None:
    assert SYSTEM_CHED_TYPES["client-import"] == {ChedType.CHED_PP}
    assert SYSTEM_CHED_TYPES["vgc"] == {ChedType.CHED_P, ChedType.CHED_A, ChedType.CHED_D}
    assert SYSTEM_CHED_TYPES["traces"] == SYSTEM_CHED_TYPES["written"] == set(ChedType)


def test_client_import_must_be_ched_pp() -> None:
    issue = only(beef(system="client-import"))
    assert (issue.rule, issue.field, issue.value) == ("system.ched_type", "ched_type", "CHED-P")
    assert issue.message == "a Client Import pre-notification must be CHED-PP, not CHED-P"


def test_vgc_cannot_be_ched_pp() -> None:
    issue = only(grapes(system="vgc"))
    assert issue.rule == "system.ched_type"
    assert issue.message == "a VGC pre-notification must be CHED-P, CHED-A or CHED-D, not CHED-PP"


# commodities -----------------------------------------------------------------------------


def test_beef_notified_as_plants() -> None:
    issue = only(with_cn(grapes(), "08061010", "0201"))
    assert (issue.rule, issue.field, issue.value, issue.severity) == (
        "commodity.cn_code",
        "commodities.1.cn_code",
        "0201",
        "error",
    )
    assert issue.message == (
        "CN 0201 (meat of bovine animals, fresh or chilled) is a product of animal origin: "
        "it needs CHED-P, not CHED-PP"
    )


@pytest.mark.parametrize(
    ("ched_type", "cn", "says"),
    [
        (ChedType.CHED_PP, "6109", "CN 6109 is not among the plants and plant products listed"),
        (ChedType.CHED_P, "0806", "CN 0806 (grapes, fresh) is a plant product: it needs CHED-PP"),
        (
            ChedType.CHED_P,
            "0102",
            "(live bovine animals) is a live animal or germinal product: it needs CHED-A, not CHED-P",
        ),
        (
            ChedType.CHED_P,
            "6109",
            "CN 6109 is not among the products of animal origin listed for CHED-P",
        ),
        (ChedType.CHED_A, "0201", "needs CHED-P, not CHED-A"),
        (ChedType.CHED_D, "0201", "is a product of animal origin: it needs CHED-P, not CHED-D"),
        (ChedType.CHED_D, "01061900", "needs CHED-A, not CHED-D"),
    ],
)
def test_cn_code_does_not_fit_the_ched_type(ched_type: ChedType, cn: str, says: str) -> None:
    bcp = "NLSPL"  # designated for everything
    found = [i for i in issues(as_type(ched_type, cn, bcp=bcp)) if i.rule == "commodity.cn_code"]
    assert len(found) == 1, found
    assert found[0].severity == "error"
    assert says in found[0].message


@pytest.mark.parametrize("cn", ["1905", "21069098", "2008"])
def test_ched_d_for_a_possibly_composite_product_is_flagged(cn: str) -> None:
    issue = only(as_type(ChedType.CHED_D, cn))
    assert (issue.rule, issue.severity) == ("commodity.cn_code", "flag")
    assert "may contain products of animal origin" in issue.message


# bcp -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bcp", ["NLXXX", "Rotterdam", "NLAMS2"])
def test_unknown_bcp(bcp: str) -> None:
    issue = only(grapes(bcp=bcp))
    assert (issue.rule, issue.field, issue.value, issue.severity) == (
        "bcp.unknown",
        "bcp",
        bcp,
        "error",
    )
    assert "Rotterdam (NLRTM1)" in issue.message, "the message lists the known BCPs"


def test_live_animals_only_at_airports() -> None:
    issue = only(as_type(ChedType.CHED_A, "0102", bcp="NLRTM"))
    assert (issue.rule, issue.severity) == ("bcp.not_designated", "error")
    assert issue.message == (
        "bcp Rotterdam (NLRTM1) is not designated for live animals (CHED-A): Live animals "
        "(CHED-A) enter only at Amsterdam Schiphol (NLAMS4) or Maastricht Aachen Airport (NLMST4)"
    )


def test_unconfirmed_designation_is_a_flag() -> None:
    issue = only(grapes(bcp="NLAMS"))  # plants at the port of Amsterdam: "?" in the source
    assert (issue.rule, issue.field, issue.value, issue.severity) == (
        "bcp.designation_unconfirmed",
        "bcp",
        "NLAMS",
        "flag",
    )
    assert "Amsterdam (NLAMS1)" in issue.message and "CHED-PP" in issue.message


# containers and transport document --------------------------------------------------------


def test_container_check_digit_is_a_flag_and_names_the_index() -> None:
    record = grapes(containers=[container(100002), "CSQU3054384"])
    issue = only(record)
    assert (issue.rule, issue.field, issue.value, issue.severity) == (
        "container.check_digit",
        "containers.1",
        "CSQU3054384",
        "flag",
    )
    assert "expected 3, got 4" in issue.message


def test_a_container_with_separators_is_fine_and_garbage_is_flagged() -> None:
    assert issues(grapes(containers=["csqu 305438-3"])) == []
    issue = only(grapes(containers=["NOT A CONTAINER"]))
    assert (issue.rule, issue.field) == ("container.check_digit", "containers.0")
    assert "is not an ISO 6346 container number" in issue.message


@pytest.mark.parametrize(
    ("mode", "document"),
    [(Mode.SEA, "074-12345676"), (Mode.AIR, "074 1234 5676"), (None, "07412345676")],
)
def test_awb_check_digit_is_a_flag(mode: Mode | None, document: str) -> None:
    issue = only(grapes(mode=mode, transport_document=document))
    assert (issue.rule, issue.field, issue.value, issue.severity) == (
        "transport_document.check_digit",
        "transport_document",
        document,
        "flag",
    )
    assert "074-12345676 fails the check digit" in issue.message


def test_an_air_document_that_is_no_awb_is_flagged() -> None:
    issue = only(grapes(mode=Mode.AIR, bcp="NLSPL", transport_document="HAWB-778899"))
    assert issue.rule == "transport_document.check_digit"
    assert "is not an air waybill number" in issue.message


@pytest.mark.parametrize("document", ["MAEU123456789", "1234567890", "123456789012", None])
def test_sea_documents_that_do_not_look_like_an_awb_are_not_checked(document: str | None) -> None:
    assert issues(grapes(mode=Mode.SEA, transport_document=document)) == []


# countries -------------------------------------------------------------------------------


def test_unknown_countries() -> None:
    record = beef(
        country_of_origin="XX",
        consignor=beef().consignor.model_copy(update={"country": "ZZ"}),
        importer=beef().importer.model_copy(update={"country": "QQ"}),
    )
    found = issues(record)
    assert [(i.field, i.value, i.rule, i.severity) for i in found] == [
        ("country_of_origin", "XX", "country.unknown", "error"),
        ("consignor.country", "ZZ", "country.unknown", "error"),
        ("importer.country", "QQ", "country.unknown", "error"),
    ]
    assert found[0].message == "country_of_origin 'XX' is not an ISO 3166 alpha-2 country code"


# dates -----------------------------------------------------------------------------------


def test_submitted_in_the_future() -> None:
    record = beef()
    assert issues(record, now=record.submitted_at - timedelta(minutes=5)) == []
    issue = only(record, now=record.submitted_at - timedelta(minutes=5, seconds=1))
    assert (issue.rule, issue.field, issue.severity) == (
        "submitted_at.future",
        "submitted_at",
        "error",
    )
    assert "5 min 1 s after the time of receipt" in issue.message


@pytest.mark.parametrize(
    ("offset", "says"),
    [
        (timedelta(days=-30, seconds=-1), "30 days 1 s before submitted_at"),
        (timedelta(days=365, seconds=1), "365 days 1 s after submitted_at"),
    ],
)
def test_implausible_expected_arrival(offset: timedelta, says: str) -> None:
    record = beef()
    late = record.model_copy(update={"expected_arrival": record.submitted_at + offset})
    issue = only(late, now=record.submitted_at)
    assert (issue.rule, issue.field, issue.severity) == (
        "expected_arrival.implausible",
        "expected_arrival",
        "error",
    )
    assert says in issue.message


@pytest.mark.parametrize("offset", [timedelta(days=-30), timedelta(days=365)])
def test_expected_arrival_at_the_limits_is_plausible(offset: timedelta) -> None:
    record = beef()
    edge = record.model_copy(update={"expected_arrival": record.submitted_at + offset})
    assert issues(edge, now=record.submitted_at) == []


def test_issues_come_in_rule_order() -> None:
    record = grapes(
        reference="CHEDP.NL.2026.1",
        bcp="NLAMS",
        containers=["CSQU3054384"],
        country_of_origin="XX",
    )
    assert [i.rule for i in issues(record)] == [
        "reference.ched_type",
        "bcp.designation_unconfirmed",
        "container.check_digit",
        "country.unknown",
    ]


def test_dates_at_the_edges_of_the_calendar_are_refused_not_crashed() -> None:
    from datetime import UTC, datetime

    from pnm.prenotification.adapters.reference_files import shipped_reference_data
    from pnm.prenotification.domain.validation import validate
    from pnm.shared.contracts.records import ChedType
    from pnm.testing.records import container, prenotification

    now = datetime(2026, 11, 27, tzinfo=UTC)
    base = prenotification(
        "CHEDP.NL.2026.0000001",
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[container(1)],
    )
    ancient = base.model_copy(
        update={
            "submitted_at": datetime(1, 1, 2, tzinfo=UTC),
            "expected_arrival": datetime(1, 1, 1, tzinfo=UTC),
        }
    )
    rules = {i.rule for i in validate(ancient, shipped_reference_data(), now)}
    assert "submitted_at.too_old" in rules
    distant = base.model_copy(update={"expected_arrival": datetime(9999, 12, 31, tzinfo=UTC)})
    rules = {i.rule for i in validate(distant, shipped_reference_data(), now)}
    assert "expected_arrival.implausible" in rules
