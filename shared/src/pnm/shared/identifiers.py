"""Identifier normalisation at the edges (docs/architecture.md, "The matcher's stages", stage
1), over python-stdnum.

An identifier whose check digit fails is kept, normalised, and flagged: it is evidence of a
typo and the matcher still needs it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import iso6346

_SEPARATORS = re.compile(r"[\s\-./_]+")


@dataclass(frozen=True)
class Normalised:
    raw: str
    value: str
    valid: bool


@lru_cache(maxsize=1 << 16)  # the same containers come back on lines and notifications
def container_number(raw: str) -> Normalised:
    value = _SEPARATORS.sub("", raw).upper()
    return Normalised(raw, value, passes_iso6346(value))


def passes_iso6346(value: str) -> bool:
    """A normalised container number with the ISO 6346 format and check digit (uncached: for
    the many forms of a typo's neighbourhood, which would flush `container_number`'s cache).

    The same answers as stdnum's `iso6346.validate`, at a fraction of its cost: an ASCII value
    is checked here against the check-digit table (stdnum would only upper-case it); anything
    else goes to stdnum, which folds look-alike characters (a fullwidth digit) first. The
    length and the category letter are asked first: most forms one edit from a number fail."""
    if len(value) != 11 or value[3] not in "UJZR":
        return False
    if not value.isascii():
        return _passes_stdnum_iso6346(value)
    number = value.upper()
    return number[4:].isdigit() and iso6346_check_digit(number[:10]) == number[10]


def _passes_stdnum_iso6346(value: str) -> bool:
    try:
        iso6346.validate(value)
    except ValueError:  # ValidationError, or a character outside the ISO 6346 alphabet
        return False
    return True


# ISO 6346 gives digits their own value and letters 10 to 38, skipping the multiples of 11.
ISO6346_VALUES: dict[str, int] = {
    char: value
    for value, char in enumerate("0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ")
    if char != " "
}


def iso6346_check_digit(body: str) -> str | None:
    """The check digit of an owner code, category letter and serial (10 characters of ASCII
    upper-case letters and digits): the values weighted by 2**position, mod 11, mod 10. None
    when a character is outside that alphabet."""
    total = 0
    for position, char in enumerate(body):
        value = ISO6346_VALUES.get(char)
        if value is None:
            return None
        total += value << position
    return str(total % 11 % 10)


def transport_document_number(raw: str) -> str:
    """B/L and AWB numbers: upper case, separators stripped (`176-1234 5675` → `17612345675`)."""
    return _SEPARATORS.sub("", raw).upper()


_AWB = re.compile(r"[0-9]{11}")


@lru_cache(maxsize=1 << 16)  # the same documents come back on lines and notifications
def air_waybill(raw: str) -> Normalised:
    """IATA air waybill: 3-digit airline prefix + 8-digit serial (`020-12345675`).

    The last serial digit is the check digit: the first seven serial digits as a number, mod 7.
    python-stdnum has no AWB module, hence the hand-written check. Anything that is not 11
    digits after stripping separators is invalid and kept upper-case without separators.
    """
    value = _SEPARATORS.sub("", raw).upper()
    if not _AWB.fullmatch(value):
        return Normalised(raw, value, False)
    return Normalised(raw, f"{value[:3]}-{value[3:]}", passes_air_waybill_check(value))


def passes_air_waybill_check(value: str) -> bool:
    """11 digits whose last is the first seven of the serial mod 7 (uncached, as above)."""
    return bool(_AWB.fullmatch(value)) and int(value[3:10]) % 7 == int(value[10])


def transport_document(type_: str, number: str) -> Normalised:
    """A transport document number by its type.

    `AWB`: an IATA air waybill (`air_waybill`, check digit). Every other type (`BL`, `HBL`,
    `CMR`, and `HAWB`, since house air waybills are free-format) is only stripped of separators
    and upper-cased; it is valid unless nothing is left.
    """
    if type_.strip().upper() == "AWB":
        return air_waybill(number)
    value = transport_document_number(number)
    return Normalised(number, value, bool(value))


_ASCII_NON_DIGITS = re.compile(r"[^0-9]+")


def hs_code_normalised(raw: str | None) -> Normalised | None:
    """HS / CN code: ASCII digits only (`0201.30` → `020130`), valid with 4 to 10 digits.

    A 2-digit chapter is not specific enough to be valid. None or blank (no code given) → None.
    """
    if raw is None or not raw.strip():
        return None
    value = _ASCII_NON_DIGITS.sub("", raw)
    return Normalised(raw, value, 4 <= len(value) <= 10)


# --- Countries ---------------------------------------------------------------------------------

# Codes EU customs uses besides ISO 3166-1 (Kosovo, Northern Ireland), and codes or names seen on
# declarations for which ISO 3166 has another code or name (UK and EL are the EU's own codes for the
# United Kingdom and Greece; ISO reserves them).
_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "XK": ("XK", "Kosovo"),
    "XI": ("XI", "Northern Ireland"),
    "GB": ("UK", "Great Britain"),
    "GR": ("EL",),
    "NL": ("Holland", "The Netherlands"),
    "RU": ("Russia",),
    "TR": ("Turkey",),
    "CI": ("Ivory Coast",),
}


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded alpha-2, alpha-3, name, official and common name → alpha-2 (built once)."""
    import pycountry  # imported on first use: loading its database takes a moment

    index: dict[str, str] = {}
    for country in pycountry.countries:
        alpha_2: str = country.alpha_2
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if isinstance(name, str):
                index.setdefault(words(name), alpha_2)
    for alpha_2, names in _COUNTRY_ALIASES.items():
        for name in names:
            index[words(name)] = alpha_2
    return index


def country_code(raw: str | None) -> Normalised | None:
    """ISO 3166 alpha-2 from an alpha-2 or alpha-3 code or a country name, any case or accents.

    `nld`, `Netherlands`, `the netherlands` → `NL`; Kosovo (XK) and Northern Ireland (XI) are
    valid, as EU customs uses them. Unknown → valid=False, kept stripped and upper-cased.
    """
    if raw is None:
        return None
    alpha_2 = _country_index().get(words(raw))
    if alpha_2 is None:
        return Normalised(raw, raw.strip().upper(), False)
    return Normalised(raw, alpha_2, True)


# --- Party names -------------------------------------------------------------------------------

# Legal forms, as written: each is removed as whole words, both as its letters separated by the
# punctuation (`B.V.` → `b v`) and as one word (`bv`), and short ones also spelled out letter by
# letter (`G.m.b.H.`, `L.L.C.`). Longer forms win (`S.A. de C.V.` before `S.A.`), and removal
# repeats until none is left, so that the key is idempotent. The price: initials that spell a
# legal form are removed too (`A B Foods` → `foods`).
LEGAL_FORMS: tuple[str, ...] = (
    # Dutch, Belgian
    "B.V.", "N.V.", "V.O.F.", "C.V.", "B.V.B.A.", "SPRL", "S.C.R.L.",
    # German, Austrian, Swiss
    "GmbH", "mbH", "AG", "KG", "OHG", "UG", "e.K.", "KGaA",
    # English-speaking
    "Ltd", "Limited", "Private Limited", "Pvt", "Pte", "Pty", "PLC", "LLC", "LLP", "LP", "Inc",
    "Incorporated", "Corp", "Corporation", "Co", "Company", "Sdn Bhd", "Bhd",
    # Romance languages
    "S.A.", "S.A.S.", "S.A.C.", "S.A.A.", "S.A.E.", "S.A. de C.V.", "S.A.U.", "S.L.", "S.L.U.",
    "S.R.L.", "S.A.R.L.", "S.p.A.", "S.n.c.", "S.a.s.", "S.C.A.", "Ltda", "Cia", "EIRL",
    # Nordic
    "OY", "OYJ", "AB", "A/S", "ASA", "ApS", "HF", "EHF",
    # Central and Eastern European, Asian
    "a.s.", "s.r.o.", "Sp. z o.o.", "d.o.o.", "Kft", "Zrt", "JSC", "OJSC", "PJSC", "OOO", "ZAO",
    "K.K.",
)  # fmt: skip

_PUNCTUATION = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Case-folded, compatibility-decomposed, without combining marks (é → e, ß → ss, ﬁ → fi)."""
    for _ in range(4):  # casefold can bring new marks (İ → i̇): fold until nothing changes
        folded = "".join(
            char
            for char in unicodedata.normalize("NFKD", text.casefold())
            if not unicodedata.category(char).startswith("M")
        )
        if folded == text:
            break
        text = folded
    return text


def words(text: str) -> str:
    """Folded, punctuation turned into spaces, whitespace collapsed."""
    return " ".join(_PUNCTUATION.sub(" ", _fold(text)).split())


@lru_cache(maxsize=1)
def _legal_form_sequences() -> tuple[tuple[str, ...], ...]:
    """Token sequences of the legal forms, longest first."""
    sequences: set[tuple[str, ...]] = set()
    for form in LEGAL_FORMS:
        tokens = tuple(words(form).split())
        joined = "".join(tokens)
        sequences.update({tokens, (joined,)})
        if len(joined) <= 5:  # short forms also spelled out: G.m.b.H., L.L.C., A.G.
            sequences.add(tuple(joined))
    return tuple(sorted(sequences, key=lambda tokens: (-len(tokens), tokens)))


def _without_legal_forms(tokens: list[str]) -> list[str]:
    sequences = _legal_form_sequences()
    while True:
        kept: list[str] = []
        index = 0
        while index < len(tokens):
            for sequence in sequences:
                if tuple(tokens[index : index + len(sequence)]) == sequence:
                    index += len(sequence)
                    break
            else:
                kept.append(tokens[index])
                index += 1
        if len(kept) == len(tokens):
            return kept
        tokens = kept


@lru_cache(maxsize=1 << 16)  # the same parties come back on many lines and notifications
def party_name(raw: str) -> str:
    """The matching key of a party name: `Van der Berg Import B.V.` → `van der berg import`.

    Case-folded, accents removed, punctuation turned into spaces, legal forms (B.V./BV, GmbH,
    Ltd/Limited, S.A., A/S, ...) removed as whole words, whitespace collapsed. A name that is
    nothing but legal forms keeps its first word (`AB` → `ab`, `SAA B.V.` → `saa`, as `SAA`)
    rather than becoming empty. Idempotent.
    """
    tokens = words(raw).split()
    kept = _without_legal_forms(tokens)
    if not kept and tokens:
        kept = [tokens[0], *_without_legal_forms(tokens[1:])]
    return " ".join(kept)
