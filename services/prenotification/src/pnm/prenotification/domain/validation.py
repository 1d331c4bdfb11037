"""Business validation of a pre-notification, after the schema (pydantic) has accepted it.

Each check has a stable rule name (`Issue.rule`) and a message that names the field, the value
and the rule. Errors refuse the record; flags keep it marked (a typo in a container number is
still evidence the matcher needs). Required fields and positive masses and counts are enforced
by the schema and not repeated here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

import pycountry

from pnm.prenotification.domain.reference_data import ReferenceData
from pnm.prenotification.domain.references import ReferenceFormatError, parse_reference
from pnm.shared.contracts.records import ChedType, Mode, PreNotification
from pnm.shared.identifiers import air_waybill, container_number, transport_document_number
from pnm.shared.intake.model import Issue, Severity, container_doubt

ALL_CHED_TYPES = frozenset(ChedType)
SYSTEM_CHED_TYPES: Mapping[str, frozenset[ChedType]] = MappingProxyType(
    {
        "client-import": frozenset({ChedType.CHED_PP}),
        "vgc": frozenset({ChedType.CHED_P, ChedType.CHED_A, ChedType.CHED_D}),
        "traces": ALL_CHED_TYPES,
        "written": ALL_CHED_TYPES,
    }
)
SYSTEM_NAMES = {
    "client-import": "Client Import",
    "vgc": "VGC",
    "traces": "TRACES",
    "written": "written (fax or e-mail)",
}


class ChedGoods(NamedTuple):
    """The goods a CHED type covers, as the refusals name them: all of them, and one of them."""

    goods: str
    one: str


COVERED = {
    ChedType.CHED_PP: ChedGoods("plants and plant products", "a plant product"),
    ChedType.CHED_P: ChedGoods("products of animal origin", "a product of animal origin"),
    ChedType.CHED_A: ChedGoods("live animals", "a live animal or germinal product"),
    ChedType.CHED_D: ChedGoods(
        "food and feed of non-animal origin", "food or feed of non-animal origin"
    ),
}
ANIMAL_TYPES = (ChedType.CHED_P, ChedType.CHED_A)
# Codes EU customs and TRACES use besides ISO 3166-1: Kosovo and Northern Ireland.
EXTRA_COUNTRIES = frozenset({"XK", "XI"})

FUTURE_TOLERANCE = timedelta(minutes=5)
ARRIVAL_BEFORE_SUBMISSION = timedelta(days=30)
ARRIVAL_AFTER_SUBMISSION = timedelta(days=365)
SUBMISSION_MAX_AGE = timedelta(days=730)  # older records are history, not a pre-notification

_AWB_SHAPE = re.compile(r"[0-9]{11}", re.ASCII)


def validate(record: PreNotification, data: ReferenceData, now: datetime) -> list[Issue]:
    return [
        *_reference(record),
        *_system(record),
        *_commodities(record, data),
        *_bcp(record, data),
        *_container_issues(record),
        *_transport_document(record),
        *_countries(record),
        *_dates(record, now),
    ]


def is_country(code: str) -> bool:
    return code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


def _reference(record: PreNotification) -> Iterator[Issue]:
    try:
        reference = parse_reference(record.reference)
    except ReferenceFormatError as err:
        yield Issue("reference", record.reference, "reference.format", str(err), "error")
        return
    if reference.ched_type is not record.ched_type:
        yield Issue(
            "reference",
            record.reference,
            "reference.ched_type",
            f"reference {record.reference} is a {reference.ched_type.value} reference, but "
            f"ched_type is {record.ched_type.value}: the two must agree",
            "error",
        )


def _system(record: PreNotification) -> Iterator[Issue]:
    allowed = SYSTEM_CHED_TYPES[record.system]
    if record.ched_type not in allowed:
        yield Issue(
            "ched_type",
            record.ched_type.value,
            "system.ched_type",
            f"a {SYSTEM_NAMES[record.system]} pre-notification must be "
            f"{_either(t.value for t in ChedType if t in allowed)}, "
            f"not {record.ched_type.value}",
            "error",
        )


def _commodities(record: PreNotification, data: ReferenceData) -> Iterator[Issue]:
    for index, commodity in enumerate(record.commodities):
        issue = _cn_code(record.ched_type, commodity.cn_code, data)
        if issue is not None:
            message, severity = issue
            yield Issue(
                f"commodities.{index}.cn_code",
                commodity.cn_code,
                "commodity.cn_code",
                message,
                severity,
            )


def _overlapping(prefixes: Iterable[str], cn: str) -> list[str]:
    """Listed prefixes the code falls under, or that are more specific than the code (a short
    code such as 0410 may well be the listed 0410 10): longest first."""
    return sorted((p for p in prefixes if cn.startswith(p) or p.startswith(cn)), key=len)[::-1]


def _cn_code(ched_type: ChedType, cn: str, data: ReferenceData) -> tuple[str, Severity] | None:
    """(message, severity) when the CN code does not fit the CHED type."""
    listed = {t: _overlapping(data.cn_by_ched.get(t, ()), cn) for t in ChedType}

    def label(t: ChedType) -> str:
        description = data.description(t, listed[t][0]) if listed[t] else None
        if not description:
            return f"CN {cn}"
        return f"CN {cn} ({description[0].lower()}{description[1:]})"

    if ched_type is ChedType.CHED_D:
        for animal in ANIMAL_TYPES:
            fully = [
                p for p in listed[animal] if cn.startswith(p) and not data.is_partial(animal, p)
            ]
            if fully:
                return (
                    f"{label(animal)} is {COVERED[animal].one}: "
                    f"it needs {animal.value}, not CHED-D",
                    "error",
                )
        maybe = [t for t in ANIMAL_TYPES if listed[t]]
        if maybe:
            return (
                f"{label(maybe[0])} may contain products of animal origin: then it needs "
                f"{_either(t.value for t in maybe)}, not CHED-D; kept for checking",
                "flag",
            )
        if ChedType.CHED_D in data.cn_by_ched and not listed[ChedType.CHED_D]:
            return (
                f"CN {cn} is not among the {COVERED[ChedType.CHED_D].goods} listed for CHED-D "
                f"(reference data {data.version})",
                "error",
            )
        return None

    if listed[ched_type]:
        return None
    others = [t for t in ChedType if t is not ched_type and listed[t]]
    if others:
        return (
            f"{label(others[0])} is {COVERED[others[0]].one}: it needs "
            f"{_either(t.value for t in others)}, not {ched_type.value}",
            "error",
        )
    return (
        f"CN {cn} is not among the {COVERED[ched_type].goods} listed for {ched_type.value} "
        f"(reference data {data.version}), so it cannot be notified as {ched_type.value}",
        "error",
    )


def _bcp(record: PreNotification, data: ReferenceData) -> Iterator[Issue]:
    table = data.bcps
    bcp = table.named(record.bcp, record.mode)
    if bcp is None:
        known = ", ".join(b.label for b in table.bcps)
        yield Issue(
            "bcp",
            record.bcp,
            "bcp.unknown",
            f"bcp {record.bcp!r} is not a known Dutch border control post: not a TRACES code, "
            f"LOCODE or alias in BCP table {table.version} (known: {known})",
            "error",
        )
        return
    ched_type = record.ched_type
    designation = bcp.designation(ched_type)
    goods = f"{COVERED[ched_type].goods} ({ched_type.value})"
    if designation == "no":
        designated = [b.label for b in table.designated(ched_type)]
        where = (
            f"{goods[0].upper()}{goods[1:]} enter only at {_either(designated)}"
            if designated
            else f"no BCP is designated for {goods}"
        )
        yield Issue(
            "bcp",
            record.bcp,
            "bcp.not_designated",
            f"bcp {bcp.label} is not designated for {goods}: {where}",
            "error",
        )
    elif designation == "unknown":
        yield Issue(
            "bcp",
            record.bcp,
            "bcp.designation_unconfirmed",
            f"bcp {bcp.label}: its designation for {goods} is not confirmed in BCP table "
            f"{table.version}; kept, check the NVWA list of border control posts",
            "flag",
        )


def _container_issues(record: PreNotification) -> Iterator[Issue]:
    for index, raw in enumerate(record.containers):
        normalised = container_number(raw)
        if normalised.valid:
            continue
        value = normalised.value
        message = container_doubt(raw, value)
        yield Issue(f"containers.{index}", raw, "container.check_digit", message, "flag")


def _transport_document(record: PreNotification) -> Iterator[Issue]:
    raw = record.transport_document
    if raw is None:
        return
    stripped = transport_document_number(raw)
    if record.mode is not Mode.AIR and not _AWB_SHAPE.fullmatch(stripped):
        return
    awb = air_waybill(raw)
    if awb.valid:
        return
    if _AWB_SHAPE.fullmatch(stripped):
        serial = int(stripped[3:10])
        message = (
            f"air waybill {awb.value} fails the check digit (serial {stripped[3:10]} mod 7 is "
            f"{serial % 7}, not {stripped[10]}): kept, probably a typo"
        )
    else:
        message = (
            f"transport document {raw!r} of an air consignment is not an air waybill number "
            f"(3-digit airline prefix and 8-digit serial): kept as {awb.value}"
        )
    yield Issue("transport_document", raw, "transport_document.check_digit", message, "flag")


def _countries(record: PreNotification) -> Iterator[Issue]:
    fields = (
        ("country_of_origin", record.country_of_origin),
        ("consignor.country", record.consignor.country),
        ("importer.country", record.importer.country),
    )
    for field, code in fields:
        if not is_country(code):
            yield Issue(
                field,
                code,
                "country.unknown",
                f"{field} {code!r} is not an ISO 3166 alpha-2 country code",
                "error",
            )


def _dates(record: PreNotification, now: datetime) -> Iterator[Issue]:
    submitted, arrival = record.submitted_at, record.expected_arrival
    # Differences, never `date ± delta`: a date near year 1 or 9999 must not overflow.
    if now - submitted > SUBMISSION_MAX_AGE:
        yield Issue(
            "submitted_at",
            submitted.isoformat(),
            "submitted_at.too_old",
            f"submitted_at {submitted.isoformat()} is more than "
            f"{_duration(SUBMISSION_MAX_AGE)} before the time of receipt {now.isoformat()}",
            "error",
        )
        return
    if submitted - now > FUTURE_TOLERANCE:
        yield Issue(
            "submitted_at",
            submitted.isoformat(),
            "submitted_at.future",
            f"submitted_at {submitted.isoformat()} is {_duration(submitted - now)} after the "
            f"time of receipt {now.isoformat()}: at most {_duration(FUTURE_TOLERANCE)} of "
            f"clock difference is accepted",
            "error",
        )
    if submitted - arrival > ARRIVAL_BEFORE_SUBMISSION:
        yield Issue(
            "expected_arrival",
            arrival.isoformat(),
            "expected_arrival.implausible",
            f"expected_arrival {arrival.isoformat()} is {_duration(submitted - arrival)} before "
            f"submitted_at {submitted.isoformat()}: at most "
            f"{_duration(ARRIVAL_BEFORE_SUBMISSION)} before is plausible",
            "error",
        )
    elif arrival - submitted > ARRIVAL_AFTER_SUBMISSION:
        yield Issue(
            "expected_arrival",
            arrival.isoformat(),
            "expected_arrival.implausible",
            f"expected_arrival {arrival.isoformat()} is {_duration(arrival - submitted)} after "
            f"submitted_at {submitted.isoformat()}: at most "
            f"{_duration(ARRIVAL_AFTER_SUBMISSION)} ahead is plausible",
            "error",
        )


def _either(values: Iterable[str]) -> str:
    items = list(values)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _duration(delta: timedelta) -> str:
    """`31 days 2 h`, `5 min 1 s`: the non-zero parts."""
    days, rest = divmod(int(delta.total_seconds()), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{seconds} s"] if seconds else []
    return " ".join(parts) or "0 s"
