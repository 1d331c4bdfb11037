"""Indicator sets as files: the set shipped with the service (`data/<version>/`, copied from the
reference tables) and sets an analyst keeps as a directory of CSV files or one JSON document."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetDocument, IndicatorSetError

SHIPPED_SET_VERSION = "v3"
_LISTS = ("procedures", "origins", "cn_prefixes", "aliases")
_DESIGNATIONS = {"ched_pp": "CHED-PP", "ched_p": "CHED-P", "ched_a": "CHED-A", "ched_d": "CHED-D"}


def _rows(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for row in csv.DictReader(io.StringIO(text)):
        entry: dict[str, Any] = {}
        for column, value in row.items():
            value = (value or "").strip()
            if column in _LISTS:
                entry[column] = value.split()
            elif column in _DESIGNATIONS:
                entry.setdefault("designated", {})[_DESIGNATIONS[column]] = value
            elif value:
                entry[column] = value
        rows.append(entry)
    return rows


def document_from_directory(folder: Traversable, version: str) -> IndicatorSetDocument:
    """indicators.csv (required), keywords.csv, exemptions.csv, parameters.json; bcps.csv only
    in sets kept from before the shared BCP table (docs/border-control-posts.md)."""

    def optional(name: str) -> str | None:
        entry = folder.joinpath(name)
        return entry.read_text(encoding="utf-8") if entry.is_file() else None

    raw: dict[str, Any] = {"version": version}
    for table in ("indicators", "keywords", "exemptions", "bcps"):
        if (text := optional(f"{table}.csv")) is not None:
            raw[table] = _rows(text)
    if (parameters := optional("parameters.json")) is not None:
        raw["parameters"] = json.loads(parameters)
    return validated(raw, f"indicator set {version} ({folder})")


def validated(raw: Any, what: str) -> IndicatorSetDocument:
    try:
        return IndicatorSetDocument.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()[:10]
        )
        raise IndicatorSetError(f"{what}: {problems}") from err


def load_indicator_set(path: Path) -> IndicatorSet:
    """A set an analyst keeps: a directory (named by its version) or a JSON document."""
    try:
        if path.is_dir():
            return IndicatorSet(document_from_directory(path, path.name))
        return IndicatorSet(validated(json.loads(path.read_text(encoding="utf-8")), str(path)))
    except (OSError, json.JSONDecodeError) as err:
        raise IndicatorSetError(f"{path}: {err}") from err


@cache
def shipped_indicator_set(version: str = SHIPPED_SET_VERSION) -> IndicatorSet:
    folder = resources.files("pnm.matcher.data").joinpath(version)
    return IndicatorSet(document_from_directory(folder, version))
