"""Stage 4's keys: what a line and a pre-notification may meet on (docs/architecture.md, "The
matcher's stages"). The strong keys (containers, transport document, quoted references), the
typo neighbourhoods of containers and air waybills on a vessel or flight, and the weak block of
the vessel or flight with the telling words of the party's name and its EORI number. Pure."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from pnm.matcher.domain.iso6346_edits import ALPHABET as CONTAINER_ALPHABET
from pnm.matcher.domain.iso6346_edits import valid_one_edit_forms
from pnm.shared.contracts.records import Mode
from pnm.shared.identifiers import (
    air_waybill,
    container_number,
    party_name,
    passes_air_waybill_check,
    passes_iso6346,
    transport_document_number,
)


def vessel_key(
    mode: Mode | None, vessel_imo: str | None, vessel_name: str | None, flight: str | None
) -> str | None:
    """The weak blocking key of a conveyance: IMO number at sea, flight number in the air."""
    if flight and mode is not Mode.SEA:
        return "flight:" + transport_document_number(flight)
    if vessel_imo:
        return "imo:" + transport_document_number(vessel_imo).removeprefix("IMO")
    if vessel_name:
        return "vessel:" + party_name(vessel_name)
    return None


def reference_key(reference: str) -> str:
    """A pre-notification reference as quoted anywhere: `CHEDP.NL.2026.0012345`,
    `chedp nl 2026 0012345` and `CHEDP-NL-2026-0012345` compare equal."""
    return transport_document_number(reference)


STRONG = frozenset({"container", "document", "reference"})  # kinds of strong key
STRONG_PREFIXES = tuple(f"{kind}:" for kind in sorted(STRONG))


WEAK = "weak:"  # the prefix of weak block keys


def _deletions(value: str) -> set[str]:
    """The value and every form of it with one character deleted: two values share one of
    these exactly when they are one substitution, insertion, deletion or adjacent transposition
    apart (symmetric-delete neighbourhood), so typos are found by index, not by scanning."""
    return {value} | {value[:i] + value[i + 1 :] for i in range(len(value))}


def _edits(value: str, alphabet: str) -> set[str]:
    """Every form of the value one substitution, insertion, deletion or adjacent transposition
    away (optimal string alignment, as `scoring` compares)."""
    forms = {value[:i] + value[i + 1 :] for i in range(len(value))}
    forms.update(
        value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(len(value) - 1)
    )
    for i in range(len(value) + 1):
        forms.update(value[:i] + a + value[i:] for a in alphabet)
        if i < len(value):
            forms.update(value[:i] + a + value[i + 1 :] for a in alphabet)
    forms.discard(value)
    return forms


def _neighbourhood(value: str, passes: bool, valid_edits: Callable[[str], set[str]]) -> set[str]:
    """The keys a number meets its typos on. A typo covers a line only where one of the two
    numbers fails its check digit (`scoring.covers`), so a number that passes it, as nearly all
    do, is keyed by itself alone; one that fails it by the forms one edit away that pass (the
    numbers it may be a typo of) and by its deletion neighbourhood (other failing numbers one
    edit away). A handful of keys per line instead of a dozen per container. `passes`: the
    value's own check (cached), `valid_edits`: the forms one edit away that pass."""
    if passes:
        return {value}
    near = _deletions(value)
    if len(value) in _ONE_EDIT_FROM_VALID:
        near.update(valid_edits(value))
    return near


# Valid container numbers and air waybills both have 11 characters: only a value of 10 to 12
# can be one edit from one, so a longer text in a container field is not expanded into the
# thousands of forms that could not pass anyway.
_ONE_EDIT_FROM_VALID = range(10, 13)


def _valid_container_edits(value: str) -> set[str]:
    solved = valid_one_edit_forms(value)
    if solved is not None:
        return solved
    return {form for form in _edits(value, CONTAINER_ALPHABET) if passes_iso6346(form)}


def _valid_air_waybill_edits(value: str) -> set[str]:
    return {form for form in _edits(value, string.digits) if passes_air_waybill_check(form)}


# Documents that are air waybills or one edit from one: B/L numbers have no check digit and run
# in sequences, so every one is a single edit from a dozen others; their typos are left to the
# weak block.
_AIR_WAYBILL_LIKE = re.compile(r"[0-9]{10,12}")


def typo_keys(
    containers: Iterable[str], document: str | None, vessel: str | None
) -> frozenset[str]:
    """The typo neighbourhoods of the containers and the air waybill (block keys)."""
    # Typos are looked for on the same vessel or flight only: across a million notifications
    # every number has neighbours one edit away.
    scope = vessel or "-"
    keys = {
        f"near-container:{scope}|{k}"
        for c in containers
        for k in _neighbourhood(c, container_number(c).valid, _valid_container_edits)
    }
    if document and _AIR_WAYBILL_LIKE.fullmatch(document):
        keys.update(
            f"near-document:{scope}|{k}"
            for k in _neighbourhood(document, air_waybill(document).valid, _valid_air_waybill_edits)
        )
    return frozenset(keys)


def block_keys(
    strong: frozenset[str],
    containers: frozenset[str],
    document: str | None,
    vessel: str | None,
    party: str,
    eori: str | None = None,
) -> frozenset[str]:
    """Every key a line and a notification may meet on (stage 4): the strong keys, the typo
    neighbourhoods of containers and air waybill on the vessel or flight, and the weak block of
    the vessel or flight with each telling word of the consignee/importer, and with its EORI
    number (the operator's registration: however the name is written)."""
    keys = set(strong) | typo_keys(containers, document, vessel)
    if vessel:
        keys.update(f"{WEAK}{vessel}|{token}" for token in party_tokens(party))
        if eori:
            keys.add(f"{WEAK}{vessel}|eori:{eori}")
    return frozenset(keys)


def set_keys(
    facts: object,
    containers: frozenset[str],
    document: str | None,
    references: Iterable[str],
    vessel: str | None,
    party: str,
    eori: str | None,
) -> None:
    """Set the strong and block keys of a line's or a notification's facts (frozen)."""
    strong = strong_keys(containers, document, references)
    object.__setattr__(facts, "strong_keys", strong)
    keys = block_keys(strong, containers, document, vessel, party, eori)
    object.__setattr__(facts, "block_keys", keys)


def strong_keys(
    containers: Iterable[str], document: str | None, references: Iterable[str]
) -> frozenset[str]:
    """Exact containers, the transport document and quoted references, as block keys."""
    strong = {f"container:{c}" for c in containers}
    strong.update(f"reference:{r}" for r in references)
    if document:
        strong.add(f"document:{document}")
    return frozenset(strong)


# Words too common in company names to tell one from another on a vessel's manifest.
GENERIC_NAME_WORDS = frozenset(
    {
        "van",
        "der",
        "den",
        "de",
        "het",
        "the",
        "and",
        "import",
        "imports",
        "export",
        "exports",
        "trading",
        "trade",
        "international",
        "foods",
        "food",
        "fresh",
        "fruit",
        "fruits",
        "group",
        "holding",
        "holdings",
        "logistics",
        "company",
    }
)


def eori_number(eori: str | None) -> str | None:
    """An EORI number as written, without spaces or separators, in capitals."""
    number = re.sub(r"[^0-9A-Za-z]", "", eori or "").upper()
    return number or None


def party_tokens(party: str) -> set[str]:
    """The telling words of a normalised party name: the weak block meets on any of them, so a
    typo in one word still leaves the others ("van der berg impost" ~ "van der berg import")."""
    tokens = {t for t in party.split() if len(t) >= 3 and t not in GENERIC_NAME_WORDS}
    return tokens or {party}
