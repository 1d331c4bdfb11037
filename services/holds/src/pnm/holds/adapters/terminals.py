"""The terminals whose systems take block instructions: shipped data
(`pnm/holds/data/terminals_v1.csv`), read once. A code that is not in it gets no instruction:
its hold is `unaddressed`, in front of people (docs/completeness.md). Each has a delivery mode:
`live` (instructions are published) or `shadow` (computed and recorded, never sent: a safe
start at a new terminal, docs/terminal-protocol.md); `PNM_HOLDS_SHADOW_TERMINALS` puts
registered terminals in shadow without a release of the data."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from pnm.holds.settings import TerminalProtocolSettings

TERMINALS_FILE = "terminals_v1.csv"


class Delivery(StrEnum):
    LIVE = "live"
    SHADOW = "shadow"


@dataclass(frozen=True)
class Terminal:
    code: str
    name: str
    place: str
    mode: Delivery


@cache
def registered_terminals() -> dict[str, Terminal]:
    text = resources.files("pnm.holds.data").joinpath(TERMINALS_FILE).read_text("utf-8")
    return {
        row["code"]: Terminal(row["code"], row["name"], row["place"], Delivery(row["mode"]))
        for row in csv.DictReader(io.StringIO(text))
    }


@cache
def known_terminals() -> frozenset[str]:
    return frozenset(registered_terminals())


def delivery_of(code: str, settings: TerminalProtocolSettings) -> Delivery:
    """How instructions reach `code` now: the operator's override wins over the registry."""
    if code in settings.shadow_codes():
        return Delivery.SHADOW
    registered = registered_terminals().get(code)
    return registered.mode if registered is not None else Delivery.LIVE


def check_shadow_terminals(settings: TerminalProtocolSettings) -> None:
    """Refuse to start on a shadow code that is not registered: a typo would otherwise leave
    the terminal meant to be in shadow live without anyone noticing."""
    unknown = sorted(settings.shadow_codes() - known_terminals())
    if unknown:
        raise ValueError(
            f"PNM_HOLDS_SHADOW_TERMINALS names terminals that are not registered: "
            f"{', '.join(c[:50] for c in unknown)} (registry: {TERMINALS_FILE})"
        )
