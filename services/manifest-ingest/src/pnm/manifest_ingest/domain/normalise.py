"""Normalisation of a manifest line (docs/architecture.md, "The matcher's stages", stage 1), a
pure function.

The schema (pydantic) has already refused what is malformed; what can still vary is normalised
here: container numbers (case, spaces, dashes), transport document numbers (separators, the
air waybill format), HS codes (digits only) and country codes (alpha-2). Problems that do not
refuse the line (a failed check digit, a country that does not exist) are flags: the value is
kept, normalised, because a typo is evidence the matcher still needs.

Every value normalisation changed keeps its raw form in `NormalisedLine.raw`, keyed by dotted
path. A flag names the *normalised* value (the raw one is in `raw`), so normalising the
normalised line again gives the same line, no raw entries and the same flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pnm.shared.contracts.records import GoodsItem, ManifestLine, Party, TransportDocument
from pnm.shared.identifiers import (
    container_number,
    country_code,
    hs_code_normalised,
    party_name,
    transport_document,
)
from pnm.shared.intake.model import container_doubt

_AWB_SHAPE = re.compile(r"[0-9]{3}-[0-9]{8}", re.ASCII)


@dataclass(frozen=True)
class Flag:
    """A problem that does not refuse the line (e.g. a failed check digit)."""

    field: str
    value: str | None
    rule: str
    message: str


@dataclass(frozen=True)
class LineKeys:
    """The matching keys the service stores in columns.

    `containers` and `hs_codes` are sorted and without duplicates (sets for blocking).
    `containers` includes numbers whose check digit fails (a typo'd key can still meet the same
    typo); `hs_codes` only valid codes. `transport_document` is "" when nothing usable is left.
    """

    containers: tuple[str, ...]
    transport_document: str
    consignee: str
    hs_codes: tuple[str, ...]


@dataclass(frozen=True)
class NormalisedLine:
    line: ManifestLine
    raw: dict[str, Any]
    flags: tuple[Flag, ...]
    keys: LineKeys


class _Collector:
    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.flags: list[Flag] = []

    def value(self, path: str, raw: str, value: str) -> str:
        """The normalised value, recording the raw one when it changed; an empty result (nothing
        left after stripping) keeps the raw value."""
        if not value:
            return raw
        if value != raw:
            self.raw[path] = raw
        return value

    def flag(self, path: str, value: str | None, rule: str, message: str) -> None:
        self.flags.append(Flag(path, value, rule, message))


def normalise_line(line: ManifestLine) -> NormalisedLine:
    out = _Collector()

    document = _transport_document(line, out)
    containers = [_container(index, raw, out) for index, raw in enumerate(line.containers)]
    consignor = _party("consignor", line.consignor, out)
    consignee = _party("consignee", line.consignee, out)
    origin = _country("country_of_origin", line.country_of_origin, out)
    goods = [_goods_item(index, item, out) for index, item in enumerate(line.goods)]

    normalised = line.model_copy(
        update={
            "transport_document": document,
            "containers": containers,
            "consignor": consignor,
            "consignee": consignee,
            "country_of_origin": origin,
            "goods": goods,
        }
    )
    keys = LineKeys(
        containers=tuple(sorted({c for c in map(_container_key, containers) if c})),
        transport_document=transport_document(document.type, document.number).value,
        consignee=party_name(line.consignee.name),
        hs_codes=tuple(sorted({h for h in map(_hs_key, goods) if h})),
    )
    return NormalisedLine(normalised, out.raw, tuple(out.flags), keys)


def _container_key(number: str) -> str:
    return container_number(number).value


def _hs_key(item: GoodsItem) -> str | None:
    normalised = hs_code_normalised(item.hs_code)
    return normalised.value if normalised is not None and normalised.valid else None


def _container(index: int, raw: str, out: _Collector) -> str:
    path = f"containers.{index}"
    normalised = container_number(raw)
    value = out.value(path, raw, normalised.value)
    if normalised.valid:
        return value
    # Quoting the kept value, not the raw one: normalising the line again gives the same flag.
    message = container_doubt(value, value)
    out.flag(path, value, "container.check_digit", message)
    return value


def _transport_document(line: ManifestLine, out: _Collector) -> TransportDocument:
    document = line.transport_document
    path = "transport_document.number"
    normalised = transport_document(document.type, document.number)
    value = out.value(path, document.number, normalised.value)
    if not normalised.valid:
        if document.type != "AWB":
            out.flag(
                path,
                value,
                "transport_document.format",
                f"{document.type} number {value!r} has nothing left but separators: kept",
            )
        elif _AWB_SHAPE.fullmatch(value):
            serial = value[4:11]
            out.flag(
                path,
                value,
                "transport_document.check_digit",
                f"air waybill {value} fails the check digit (serial {serial} mod 7 is "
                f"{int(serial) % 7}, not {value[11]}): kept, probably a typo",
            )
        else:
            out.flag(
                path,
                value,
                "transport_document.check_digit",
                f"air waybill {value!r} is not an IATA air waybill number (3-digit airline "
                f"prefix and 8-digit serial): kept",
            )
    if value == document.number:
        return document
    return document.model_copy(update={"number": value})


def _party(path: str, party: Party, out: _Collector) -> Party:
    country = _country(f"{path}.country", party.country, out)
    if country == party.country:
        return party
    return party.model_copy(update={"country": country})


def _country(path: str, raw: str | None, out: _Collector) -> str | None:
    normalised = country_code(raw)
    if raw is None or normalised is None:
        return raw
    value = out.value(path, raw, normalised.value)
    if not normalised.valid:
        out.flag(
            path,
            value,
            "country.unknown",
            f"{path} {value!r} is not an ISO 3166 country code: kept",
        )
    return value


def _goods_item(index: int, item: GoodsItem, out: _Collector) -> GoodsItem:
    update: dict[str, Any] = {}
    normalised = hs_code_normalised(item.hs_code)
    if item.hs_code is not None and normalised is not None:
        path = f"goods.{index}.hs_code"
        value = out.value(path, item.hs_code, normalised.value)
        if not normalised.valid:
            digits = len(normalised.value)
            out.flag(
                path,
                value,
                "hs_code.length",
                f"HS code {value!r} has {digits} digit{'' if digits == 1 else 's'}, not 4 to 10: "
                f"kept, but not used for matching",
            )
        if value != item.hs_code:
            update["hs_code"] = value
    origin = _country(f"goods.{index}.country_of_origin", item.country_of_origin, out)
    if origin != item.country_of_origin:
        update["country_of_origin"] = origin
    return item.model_copy(update=update) if update else item
