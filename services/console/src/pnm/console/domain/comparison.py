"""The manifest line beside its candidate pre-notifications, field by field, each candidate's
value marked as the same as the line's, partly the same, different, or not given (in words on
the page, not colour alone). Pure: it reads the records as the services' APIs return them
(ManifestLine and PreNotification as JSON). What decides a match is the matcher's scoring
(the waterfall beside it); this is for the eye, so its rules are plain and visible."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

JsonRecord = Mapping[str, Any]


class Mark(StrEnum):
    SAME = "same"
    PARTLY = "partly"
    DIFFERS = "differs"
    ABSENT = "absent"  # one side gives no value
    SHOWN = "shown"  # shown only: not comparable (gross against net mass) or given by neither


@dataclass(frozen=True)
class Cell:
    text: str
    mark: Mark


@dataclass(frozen=True)
class SideBySideRow:
    field: str
    line: str
    candidates: list[Cell]

    @property
    def differs(self) -> bool:
        return any(c.mark in (Mark.DIFFERS, Mark.PARTLY) for c in self.candidates)


SideValues = tuple[str, ...]
Compare = Callable[[SideValues, SideValues], Mark]


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def _compact(text: str) -> str:
    """Identifiers as people write them: case, spaces and hyphens do not count."""
    return re.sub(r"[\s-]", "", text).upper()


def _exact(line: SideValues, candidate: SideValues) -> Mark:
    return Mark.SAME if set(line) == set(candidate) else Mark.DIFFERS


def _overlap(line: SideValues, candidate: SideValues) -> Mark:
    if set(line) == set(candidate):
        return Mark.SAME
    return Mark.PARTLY if set(line) & set(candidate) else Mark.DIFFERS


def _codes(line: SideValues, candidate: SideValues) -> Mark:
    """Tariff codes of different lengths (HS 6 on the manifest, CN 8 notified) agree when the
    shorter begins the longer."""

    def found(code: str, among: SideValues) -> bool:
        return any(code.startswith(o) or o.startswith(code) for o in among)

    hits = [found(c, candidate) for c in line] + [found(c, line) for c in candidate]
    if all(hits):
        return Mark.SAME
    return Mark.PARTLY if any(hits) else Mark.DIFFERS


def _description(line: SideValues, candidate: SideValues) -> Mark:
    """The same words in any order and punctuation ("Fresh table grapes" / "Table grapes,
    fresh") are the same description."""

    def words(texts: SideValues) -> set[str]:
        return set(re.findall(r"\w+", " ".join(texts).casefold()))

    return _overlap(tuple(words(line)), tuple(words(candidate)))


def _shown(line: SideValues, candidate: SideValues) -> Mark:
    return Mark.SHOWN


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _party(party: Any) -> SideValues:
    if not isinstance(party, Mapping) or not _text(party.get("name")):
        return ()
    return (_words(party["name"]),)


def _party_shown(party: Any) -> str:
    if not isinstance(party, Mapping):
        return ""
    name, country, eori = (_text(party.get(k)) for k in ("name", "country", "eori"))
    return " ".join(p for p in (name, f"({country})" if country else "", eori) if p)


def at_minute(value: Any) -> str:
    """A time to the minute in UTC, as the pages show times."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _mass(values: Sequence[Any]) -> str:
    """Summed, in kg (the row's name says which mass: the line's gross, the notified net)."""
    masses = [float(v) for v in values if v is not None]
    return f"{sum(masses):,.0f} kg" if masses else ""


@dataclass(frozen=True)
class ComparedField:
    """One row: how to read it from each side (values to compare, text to show) and how to
    compare them."""

    name: str
    line: Callable[[JsonRecord], SideValues]
    candidate: Callable[[JsonRecord], SideValues]
    compare: Compare
    line_text: Callable[[JsonRecord], str] | None = None
    candidate_text: Callable[[JsonRecord], str] | None = None


def _alike(
    name: str,
    value: Callable[[JsonRecord], SideValues],
    compare: Compare,
    text: Callable[[JsonRecord], str] | None = None,
) -> ComparedField:
    """A row both records give under the same name: read alike from the line and a candidate."""
    return ComparedField(name, value, value, compare, text, text)


def _one(value: Any, norm: Callable[[str], str] = _words) -> SideValues:
    text = _text(value)
    return (norm(text),) if text else ()


def _goods(line: JsonRecord) -> list[JsonRecord]:
    return [g for g in line.get("goods") or [] if isinstance(g, Mapping)]


def _commodities(notification: JsonRecord) -> list[JsonRecord]:
    return [c for c in notification.get("commodities") or [] if isinstance(c, Mapping)]


def _vessel(record: JsonRecord) -> SideValues:
    # The IMO number when given (it names one ship), else the name.
    return _one(record.get("vessel_imo"), _compact) or _one(record.get("vessel_name"))


def _vessel_shown(record: JsonRecord) -> str:
    return " ".join(_text(record.get(k)) for k in ("vessel_imo", "vessel_name")).strip()


def _document(record: JsonRecord) -> Any:
    document = record.get("transport_document")
    return document.get("number") if isinstance(document, Mapping) else document


FIELDS: tuple[ComparedField, ...] = (
    _alike("mode", lambda d: _one(d.get("mode")), _exact),
    _alike("vessel", _vessel, _exact, _vessel_shown),
    _alike("flight", lambda d: _one(d.get("flight_number"), _compact), _exact),
    ComparedField(
        "bcp",
        lambda r: _one(r.get("port_of_discharge"), _compact),
        lambda n: _one(n.get("bcp"), _compact),
        _exact,
    ),
    ComparedField(
        "arrival",
        lambda r: _one(at_minute(r.get("eta"))),
        lambda n: _one(at_minute(n.get("expected_arrival"))),
        _exact,
    ),
    _alike(
        "transport_document",
        lambda d: _one(_document(d), _compact),
        _exact,
        lambda d: _text(_document(d)),
    ),
    _alike(
        "containers",
        lambda d: tuple(_compact(c) for c in d.get("containers") or []),
        _overlap,
        lambda d: ", ".join(d.get("containers") or []),
    ),
    _alike(
        "consignor",
        lambda d: _party(d.get("consignor")),
        _exact,
        lambda d: _party_shown(d.get("consignor")),
    ),
    ComparedField(
        "importer",
        lambda r: _party(r.get("consignee")),
        lambda n: _party(n.get("importer")),
        _exact,
        lambda r: _party_shown(r.get("consignee")),
        lambda n: _party_shown(n.get("importer")),
    ),
    _alike("origin", lambda d: _one(d.get("country_of_origin"), _compact), _exact),
    ComparedField(
        "codes",
        lambda r: tuple(_compact(_text(g.get("hs_code"))) for g in _goods(r) if g.get("hs_code")),
        lambda n: tuple(_compact(_text(c.get("cn_code"))) for c in _commodities(n)),
        _codes,
        lambda r: ", ".join(_text(g.get("hs_code")) for g in _goods(r) if g.get("hs_code")),
        lambda n: ", ".join(_text(c.get("cn_code")) for c in _commodities(n)),
    ),
    ComparedField(
        "description",
        lambda r: tuple(_text(g.get("description")) for g in _goods(r)),
        lambda n: tuple(_text(c.get("description")) for c in _commodities(n)),
        _description,
        lambda r: "; ".join(_text(g.get("description")) for g in _goods(r)),
        lambda n: "; ".join(_text(c.get("description")) for c in _commodities(n)),
    ),
    ComparedField(
        "mass",
        lambda r: (),
        lambda n: (),
        _shown,
        lambda r: _mass([g.get("gross_mass_kg") for g in _goods(r)]),
        lambda n: _mass([c.get("net_mass_kg") for c in _commodities(n)]),
    ),
    ComparedField(
        "reference",
        lambda r: tuple(_compact(c) for c in r.get("document_references") or []),
        lambda n: _one(n.get("reference"), _compact),
        _overlap,
        lambda r: ", ".join(r.get("document_references") or []),
        lambda n: _text(n.get("reference")),
    ),
)


def _mark(f: ComparedField, line: SideValues, candidate: SideValues) -> Mark:
    if f.compare is _shown or not (line or candidate):
        return Mark.SHOWN
    if not (line and candidate):
        return Mark.ABSENT
    return f.compare(line, candidate)


def side_by_side(line: JsonRecord, candidates: Sequence[JsonRecord]) -> list[SideBySideRow]:
    """One row per field: the line's value, and each candidate's with its mark."""
    rows = []
    for f in FIELDS:
        ours = f.line(line)
        line_text = f.line_text(line) if f.line_text else ", ".join(ours)
        cells = []
        for candidate in candidates:
            theirs = f.candidate(candidate)
            text = f.candidate_text(candidate) if f.candidate_text else ", ".join(theirs)
            cells.append(Cell(text, _mark(f, ours, theirs)))
        rows.append(SideBySideRow(f.name, line_text, cells))
    return rows
