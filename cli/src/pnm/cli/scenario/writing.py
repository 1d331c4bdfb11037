"""Identifiers and names as a generated day writes them: container numbers, IMO numbers, air
waybills and bills from templates, and the ways people get them wrong (a typo, two digits
swapped, a company name spelt differently, other separators); and the registry that keeps the
day's identifiers apart so that a deliberate typo is never ambiguous."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable

LEGAL_FORM_SPELLINGS = {
    "B.V.": ("BV", "B.V", "Besloten Vennootschap"),
    "N.V.": ("NV", "Naamloze Vennootschap"),
    "GmbH": ("GMBH", "G.m.b.H."),
    "Ltd": ("Ltd.", "Limited"),
    "ApS": ("APS",),
    "S.L.": ("SL",),
}


TEMPLATE_CHARACTERS = {"A": string.ascii_uppercase, "9": string.digits}


def fill(template: str, rng: random.Random) -> str:
    """`A` becomes a random letter, `9` a random digit."""
    pool = TEMPLATE_CHARACTERS
    return "".join(rng.choice(pool[c]) if c in pool else c for c in template)


def imo_number(rng: random.Random) -> str:
    digits = [9, *(rng.randrange(10) for _ in range(5))]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return "".join(map(str, digits)) + str(check)


def air_waybill(prefix: str, rng: random.Random) -> str:
    """IATA air waybill: airline prefix, 7-digit serial, check digit = serial mod 7."""
    serial = rng.randrange(1_000_000, 10_000_000)
    return f"{prefix}-{serial:07d}{serial % 7}"


_NOT_ALPHANUMERIC = re.compile(r"[\W_]")


def normalised(identifier: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", identifier.upper())


def mistyped(identifier: str, rng: random.Random, first: int = 0) -> str:
    """One character replaced by another of its kind (a digit by a digit, a letter by a
    letter), at or after position `first`."""
    positions = [i for i, c in enumerate(identifier) if c.isalnum() and i >= first]
    i = rng.choice(positions)
    pool = string.digits if identifier[i].isdigit() else string.ascii_uppercase
    return identifier[:i] + rng.choice(pool.replace(identifier[i], "")) + identifier[i + 1 :]


def transposed(identifier: str, rng: random.Random) -> str | None:
    """Two adjacent different digits swapped, or None when there are none."""
    pairs = [
        i
        for i in range(len(identifier) - 1)
        if identifier[i].isdigit()
        and identifier[i + 1].isdigit()
        and identifier[i] != identifier[i + 1]
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return identifier[:i] + identifier[i + 1] + identifier[i] + identifier[i + 2 :]


def name_variant(name: str, rng: random.Random) -> str:
    """The same company as a clerk might write it: one letter wrong, case, punctuation, legal
    form or spacing; once in five, two different ones of these (one typo at most)."""
    styles: list[Callable[[str, random.Random], str]] = [_upper, _legal_form, _comma, _double_space]
    changes = rng.sample([_letter_typo, *styles], 2 if rng.random() < 0.2 else 1)
    changes.sort(key=lambda change: change is not _letter_typo)  # the typo in the plain name
    variant = name
    for change in changes:
        variant = change(variant, rng)
    return variant if variant != name else name.upper()


def _upper(name: str, rng: random.Random) -> str:
    return name.upper()


def _split_legal_form(name: str) -> tuple[str, str | None]:
    for form in LEGAL_FORM_SPELLINGS:
        if name.endswith(" " + form):
            return name[: -len(form) - 1], form
    return name, None


def _legal_form(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    if form is None:
        return name
    return body if rng.random() < 0.25 else f"{body} {rng.choice(LEGAL_FORM_SPELLINGS[form])}"


def _comma(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    return f"{body}, {form}" if form else name.replace(".", "")


def _double_space(name: str, rng: random.Random) -> str:
    words = name.split(" ")
    if len(words) < 2:
        return name
    i = rng.randrange(1, len(words))
    return " ".join(words[:i]) + "  " + " ".join(words[i:])


def _letter_typo(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    words = body.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return name
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        word = word[:i] + word[i + 1 :]
    else:
        word = word[:i] + rng.choice("aeiourstn".replace(word[i].lower(), "")) + word[i + 1 :]
    words[longest] = word
    return " ".join(words) + (f" {form}" if form else "")


def quoted_reference(reference: str, rng: random.Random) -> str:
    """A CHED reference as a manifest clerk types it into the document references."""
    return reference if rng.random() < 0.7 else reference.replace(".", " ")


class KeyRegistry:
    """Identifiers of one kind handed out in a day, so that no two that belong to different
    consignments are one typo apart (which would make a deliberate typo ambiguous). Two
    identifiers whose normalised forms become equal after deleting at most one character from
    each are near: that covers one substitution, insertion, deletion or adjacent swap."""

    def __init__(self) -> None:
        # Per normalised form and shadow, its owner: never two, as a claim near another
        # owner's identifier is refused.
        self._owners: dict[str, str] = {}

    @staticmethod
    def _shadows(identifier: str) -> list[str]:
        text = normalised(identifier)
        return [text, *(text[:i] + text[i + 1 :] for i in range(len(text)))]

    def claim(self, identifier: str, owner: str) -> bool:
        """Register `identifier` for `owner`, unless it is near another owner's identifier."""
        shadows, owners = self._shadows(identifier), self._owners
        for s in shadows:
            if owners.get(s, owner) != owner:
                return False
        self._owners.update(dict.fromkeys(shadows, owner))
        return True

    def claim_variant(self, variant: str, original: str) -> bool:
        """Register a deliberate misspelling of `original` for the same owner."""
        return self.claim(variant, self._owners[normalised(original)])


def respaced(number: str) -> str:
    """The same document number with other separators: `074-12345675` as `07412345675`,
    `MAEU123456789` as `MAEU 123456789`."""
    if "-" in number:
        return number.replace("-", "")
    letters = len(number) - len(number.lstrip(string.ascii_uppercase))
    return f"{number[:letters]} {number[letters:]}" if 0 < letters < len(number) else number
