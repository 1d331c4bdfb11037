"""One name, one meaning (CONTRIBUTING.md, "Names"): a class, type or constant defined at the top
of more than one module of services/, shared/ or cli/ is either the same thing in each place (each
service's own table, event source or CSV columns: listed below, with why) or a clash, where a
reader who knows one meaning is misled by the other."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Names defined in several modules that mean the same thing in each: what that thing is.
SAME_MEANING = {
    "SOURCE": "the service's own EventSource",
    "SERVICE": "the service's name, in its reconciliation module",
    "CSV_COLUMNS": "the columns of the module's own CSV export or upload",
    "REQUIRED_CSV_COLUMNS": "the columns an upload of the module's records must have",
    "FileOut": "what an intake service answers for an uploaded file",
    "VersionOut": "one stored version of an intake service's record",
    "FEED_CLOCK": "where an intake service keeps when its feed last sent",
    "EDGES": "the edges of the module's own state machine (holds, cases)",
    "prenotification": "the service's own table of pre-notifications",
    "rejections": "the service's own table of refused inputs",
    "intake_file": "the service's own table of received files",
    "feed": "the service's own table of feeds",
    "arrival": "the service's own table of arrivals",
    "line": "the service's own table of manifest lines",
    "hold": "the service's own table of holds",
    "case": "the service's own table of pre-arrival cases",
    "eta_update": "the service's own table of ETA updates",
    "WIDTH": "the width of the module's own chart",
    "LABEL_WIDTH": "the label column of the module's own chart",
    "ROW": "the row height of the module's own chart",
    "TOP": "the top margin of the module's own chart",
    "AXIS": "the axis band of the module's own chart",
    "T": "a type variable",
    "WORDS": "the labels of one console page, in every language",
}
# Names every module may define for itself: not a meaning of the domain.
ANY_MODULE = {"__all__", "log", "logger", "router", "definition", "metadata", "declared"}


def defined_names(source: str) -> set[str]:
    """The classes, type aliases and constants a module defines at its top level."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") and n not in ANY_MODULE}


def clashes() -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for tree in ("services", "shared", "cli"):
        for path in sorted((ROOT / tree).rglob("*.py")):
            if "/migrations/" in path.as_posix():
                continue
            for name in defined_names(path.read_text(encoding="utf-8")):
                where[name].append(str(path.relative_to(ROOT)))
    return {name: paths for name, paths in where.items() if len(paths) > 1}


def test_names_are_found_as_defined() -> None:
    source = "class A: ...\nB = 1\nC: int = 2\n_D = 3\nlogger = 4\ndef f() -> None: ...\n"
    assert defined_names(source) == {"A", "B", "C"}


def test_a_name_defined_twice_means_the_same_thing_in_each_place() -> None:
    found = clashes()
    unexplained = {name: paths for name, paths in found.items() if name not in SAME_MEANING}
    assert unexplained == {}


def test_every_name_listed_as_the_same_thing_is_still_defined_twice() -> None:
    assert sorted(set(SAME_MEANING) - set(clashes())) == []
