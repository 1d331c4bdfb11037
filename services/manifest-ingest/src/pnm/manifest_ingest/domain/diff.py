"""What an amendment changed: the field-level difference of two versions of a manifest line.

Decisions (pure function, JSON-able result):

- A first version (`before` is None) gives no changes: the caller reports it as declared.
- `version` is never a change; every amendment raises it.
- Nested records (`transport_document`, `consignor`, `consignee`) are compared field by field
  (`consignee.name`).
- `containers` and `document_references` are sets for matching: a change is reported only when
  the sets differ (containers compared after ISO 6346 normalisation, so `msku 907032-3` is
  `MSKU9070323`, and a reordering is no change); the change then holds the whole lists.
- `goods` are compared item by item by position (`goods.0.hs_code`); an item added or removed
  at the end is one change holding the whole item (`goods.2`: None → {...} or {...} → None).
- Values are compared as Python values (two timestamps at the same instant in different offsets
  are equal) and reported as JSON (`model_dump(mode="json")`).
- Changes are sorted by path, numbers in a path numerically (`goods.2` before `goods.10`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pnm.shared.contracts.records import ManifestLine
from pnm.shared.identifiers import container_number

IGNORED = frozenset({"version"})


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def _container_set(values: list[str]) -> frozenset[str]:
    return frozenset(container_number(value).value for value in values)


def _reference_set(values: list[str]) -> frozenset[str]:
    return frozenset(value.strip() for value in values)


SETS: dict[str, Callable[[list[str]], frozenset[str]]] = {
    "containers": _container_set,
    "document_references": _reference_set,
}


def diff(before: ManifestLine | None, after: ManifestLine) -> list[Change]:
    if before is None:
        return []
    changes: list[Change] = []
    _compare(
        "",
        before.model_dump(exclude=set(IGNORED)),
        after.model_dump(exclude=set(IGNORED)),
        before.model_dump(mode="json", exclude=set(IGNORED)),
        after.model_dump(mode="json", exclude=set(IGNORED)),
        changes,
    )
    return sorted(changes, key=lambda change: _path_key(change.field))


def _compare(
    path: str, old: Any, new: Any, old_json: Any, new_json: Any, changes: list[Change]
) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for name in old.keys() | new.keys():
            _compare(
                f"{path}.{name}" if path else name,
                old.get(name),
                new.get(name),
                old_json.get(name),
                new_json.get(name),
                changes,
            )
        return
    as_set = SETS.get(path)
    if as_set is not None and isinstance(old, list) and isinstance(new, list):
        if as_set(old) != as_set(new):
            changes.append(Change(path, old_json, new_json))
        return
    if path == "goods" and isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            item = f"goods.{index}"
            if index >= len(old):
                changes.append(Change(item, None, new_json[index]))
            elif index >= len(new):
                changes.append(Change(item, old_json[index], None))
            else:
                _compare(item, old[index], new[index], old_json[index], new_json[index], changes)
        return
    if old != new:
        changes.append(Change(path, old_json, new_json))


def _path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.split("."))
