"""Reference data of the generated scenario days: goods, companies, vessels, flights.

The data are files (`pnm/cli/data/scenario/`, described in its README.md), read and checked
here once: a row that does not fit is refused with its file, row and field named.

Codes are chosen so that the intended regime is unambiguous: controlled goods sit under an
indicator prefix that covers its whole heading (never one of the "partial" headings), 4-digit
codes are only given for headings controlled as a whole, and every manifest description of
controlled goods names them by a selection keyword (so a line without an HS code is still
selected) while no description of uncontrolled goods contains one.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pnm.shared.contracts.records import ChedType, Party, Regime

# Rows with a field the catalogue does not know are refused, not ignored: a misspelt optional
# field would otherwise fall back to its default without a word.
_ROW = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class CatalogueGoods:
    __pydantic_config__ = _ROW

    name: str
    hs_code: str  # six digits, as a manifest gives it
    cn_code: str  # eight digits, as a pre-notification gives it
    descriptions: tuple[str, ...]  # manifest wording
    notified_as: str  # wording of a pre-notification commodity
    origins: tuple[str, ...]
    modes: tuple[str, ...]  # "sea", "air"
    share: float  # relative frequency among the goods a call may carry
    regime: Regime | None = None  # None: under no risk indicator
    ched: ChedType | None = None
    heading: str | None = None  # a 4-digit code a manifest may give instead
    trade: str = "general"  # which importers deal in it
    kg_per_package: int = 20
    species: str | None = None
    certificate_exempt: bool = False  # fruit needing no phytosanitary certificate
    fishery: bool = False  # fishery product (chapter 03, 1604, 1605)


@dataclass(frozen=True)
class Company:
    __pydantic_config__ = _ROW

    name: str  # the registered name, as the importer gives it on pre-notifications
    country: str
    trades: tuple[str, ...]

    @property
    def eori(self) -> str:
        digits = f"{zlib.crc32(self.name.encode()):010d}"
        return self.country + digits[-9:] if self.country == "NL" else self.country + digits

    def party(self, name: str | None = None) -> Party:
        if not name or name == self.name:
            return self._party
        return Party(name=name, country=self.country, eori=self.eori)

    @cached_property
    def _party(self) -> Party:  # a record is immutable: one for all its uses
        return Party(name=self.name, country=self.country, eori=self.eori)


@dataclass(frozen=True)
class Route:
    """A liner service calling at Rotterdam: where it loads and what it carries."""

    __pydantic_config__ = _ROW

    carrier: str
    bill_template: str  # A a letter, 9 a digit
    owner_codes: tuple[str, ...]  # container owner prefixes (ISO 6346)
    vessels: tuple[str, ...]
    loading: tuple[str, ...]  # UN/LOCODEs
    origins: tuple[str, ...]  # countries of origin of the goods on board


@dataclass(frozen=True)
class Flight:
    __pydantic_config__ = _ROW

    number: str  # as the manifest gives it, e.g. KL0592
    awb_prefix: str  # IATA airline prefix
    loading: str  # UN/LOCODE of the departure airport
    origins: tuple[str, ...]
    handler: str  # cargo handler at Schiphol (the manifest terminal)


@dataclass(frozen=True)
class ExportPlace:
    __pydantic_config__ = _ROW

    country: str
    place: str
    legal_form: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoodsFile(_File):
    controlled: tuple[CatalogueGoods, ...]
    uncontrolled: tuple[CatalogueGoods, ...]
    unspecified_descriptions: tuple[str, ...]
    other_chapter: dict[Regime, tuple[str, ...]]
    vet_agreement_origins: tuple[str, ...]
    fishery_agreement_origins: tuple[str, ...]
    # Goods of the families (scenario/families.py) that only some days carry; a row may be
    # `like` a controlled row by name, giving only the fields that differ.
    worded_controlled: tuple[CatalogueGoods, ...]
    worded_innocent: tuple[CatalogueGoods, ...]
    wood: tuple[CatalogueGoods, ...]


class PartiesFile(_File):
    importers: tuple[Company, ...]
    forwarders: tuple[Company, ...]
    house_bills: tuple[str, ...]
    general_exporters: tuple[str, ...]
    export_places: tuple[ExportPlace, ...]
    trade_names: dict[str, str]


class TransportFile(_File):
    routes: tuple[Route, ...]
    terminals_rtm: tuple[str, ...]
    vessel_name_styles: dict[str, str]
    vessel_name_words: tuple[str, ...]
    flights: tuple[Flight, ...]


class CatalogueError(ValueError):
    """A data file of the catalogue that does not fit: its file, row and field named."""


F = TypeVar("F", bound=_File)


def load(name: str, model: type[F], text: str | None = None) -> F:
    """The data file `name` (or `text` given as its content) read and checked as `model`."""
    if text is None:
        folder = resources.files("pnm.cli.data").joinpath("scenario")
        text = folder.joinpath(name).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        if isinstance(data, dict) and model is GoodsFile:
            data = _with_likes(data)
        return model.model_validate(data)
    except json.JSONDecodeError as err:
        raise CatalogueError(f"{name}: not JSON: {err}") from None
    except CatalogueError as err:
        raise CatalogueError(f"{name}: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        raise CatalogueError(f"{name}: {_where(data, first['loc'])}: {first['msg']}") from None


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """`controlled[3] ('shrimps'), field share` from a validation error's location."""
    section, *rest = loc
    rows = data.get(section) if isinstance(data, dict) else None
    where = str(section)
    if rest and isinstance(rest[0], int) and isinstance(rows, list) and rest[0] < len(rows):
        where += f"[{rest[0]}]" + _label(rows[rest[0]])
        rest = rest[1:]
    return where + (", field " + ".".join(map(str, rest)) if rest else "")


def _label(row: object) -> str:
    if not isinstance(row, dict):
        return ""
    label = next((row[k] for k in ("name", "number", "carrier", "country") if k in row), None)
    return f" ({label!r})" if label else ""


def _with_likes(data: dict[str, Any]) -> dict[str, Any]:
    """`worded_controlled` rows that are `like` a controlled row take its other fields."""
    controlled = data.get("controlled")
    by_name = {
        row.get("name"): row
        for row in (controlled if isinstance(controlled, list) else [])
        if isinstance(row, dict)
    }
    rows = data.get("worded_controlled")
    if not isinstance(rows, list):
        return data
    for n, row in enumerate(rows):
        if isinstance(row, dict) and "like" in row:
            if row["like"] not in by_name:
                where = f"worded_controlled[{n}], field like"
                raise CatalogueError(f"{where}: no controlled goods {row['like']!r}")
            rows[n] = {**by_name[row["like"]], **{k: v for k, v in row.items() if k != "like"}}
    return data


_GOODS = load("goods.json", GoodsFile)
_PARTIES = load("parties.json", PartiesFile)
_TRANSPORT = load("transport.json", TransportFile)

CONTROLLED = _GOODS.controlled
# Made anywhere: the origin is one of the call's countries.
UNCONTROLLED = _GOODS.uncontrolled
# Said-to-contain wordings without an HS code that no keyword selects.
UNSPECIFIED_DESCRIPTIONS = _GOODS.unspecified_descriptions
# Goods a pre-notification may wrongly claim for a container of another chapter.
OTHER_CHAPTER = _GOODS.other_chapter
VET_AGREEMENT_ORIGINS = _GOODS.vet_agreement_origins
FISHERY_AGREEMENT_ORIGINS = _GOODS.fishery_agreement_origins
# Controlled goods described in English, Dutch, German, French or Spanish, without a code that
# decides: the regime is what the words say. Origins avoid the agreements that exempt them.
WORDED_CONTROLLED = _GOODS.worded_controlled
# Innocent goods whose words sound like food, animals or plants: under no risk indicator.
WORDED_INNOCENT = _GOODS.worded_innocent
# Wood: plant-health goods that Rotterdam wants notified five working days ahead.
WOOD = _GOODS.wood

IMPORTERS = _PARTIES.importers
# Freight forwarders: the consignee of a master bill when the importer is not named.
FORWARDERS = _PARTIES.forwarders
# House bill (and house air waybill) numbers of these forwarders: A a letter, 9 a digit.
HOUSE_BILLS = _PARTIES.house_bills
# Shippers of uncontrolled goods, whatever their country.
GENERAL_EXPORTERS = _PARTIES.general_exporters
# Exporters are named after a place in their country and their trade.
EXPORT_PLACES = {p.country: (p.place, p.legal_form) for p in _PARTIES.export_places}
TRADE_NAMES = _PARTIES.trade_names

ROUTES = _TRANSPORT.routes
TERMINALS_RTM = _TRANSPORT.terminals_rtm
# Names of further vessels of a liner service when a day has more calls than the catalogue has
# ships (`{}` is one of the words): the carrier's own naming style.
VESSEL_NAME_STYLES = _TRANSPORT.vessel_name_styles
VESSEL_NAME_WORDS = _TRANSPORT.vessel_name_words
FLIGHTS = _TRANSPORT.flights
