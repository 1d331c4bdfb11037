"""The terminals whose systems take block instructions: shipped data
(`pnm/holds/data/terminals_v1.csv`), read once. A code that is not in it gets no instruction:
its hold is `unaddressed`, in front of people (docs/completeness.md)."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

TERMINALS_FILE = "terminals_v1.csv"


@cache
def known_terminals() -> frozenset[str]:
    text = resources.files("pnm.holds.data").joinpath(TERMINALS_FILE).read_text("utf-8")
    return frozenset(row["code"] for row in csv.DictReader(io.StringIO(text)))
