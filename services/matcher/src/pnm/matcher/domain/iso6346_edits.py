"""The container numbers one edit from a text that pass ISO 6346, solved position by position.

A failing container number is keyed by the valid numbers it may be a typo of (`facts`): the
forms one substitution, insertion, deletion or adjacent transposition away that pass the check
digit. Checking each of the ~850 forms of an 11-character text costs a replay seconds; here the
check-digit equation is solved for the one unknown character instead: with the other ten
characters fixed, the weighted sum mod 11 decides which values the unknown can take.
"""

from __future__ import annotations

import string

from pnm.shared.identifiers import ISO6346_VALUES, passes_iso6346

ALPHABET = string.ascii_uppercase + string.digits
_LENGTH = 11  # owner code (3), category (1), serial (6), check digit (1)

# What each position of a valid number may hold.
_ALLOWED = (ALPHABET,) * 3 + ("UJZR",) + (string.digits,) * 7

# Characters allowed at a position (below 10, the check digit's own) by their value mod 11.
_BY_RESIDUE = tuple(
    tuple("".join(c for c in allowed if ISO6346_VALUES[c] % 11 == r) for r in range(11))
    for allowed in _ALLOWED[:10]
)
# The inverse mod 11 of each position's weight 2**position (11 is prime: every weight has one).
_INVERSE_WEIGHT = tuple(pow(2, -position, 11) for position in range(10))


def valid_one_edit_forms(value: str) -> set[str] | None:
    """Every form one edit from `value` (not `value` itself) that `passes_iso6346`; None when
    `value` has a character outside A-Z and 0-9, which the caller checks form by form (look-alike
    characters such as fullwidth digits pass stdnum's check)."""
    if not all(c in ISO6346_VALUES for c in value):
        return None
    forms: set[str] = set()
    if len(value) == _LENGTH + 1:  # only a deletion can give 11 characters
        deleted = (value[:i] + value[i + 1 :] for i in range(len(value)))
        forms.update(form for form in deleted if passes_iso6346(form))
    elif len(value) == _LENGTH:  # a transposition or a substitution
        swapped = (value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(_LENGTH - 1))
        forms.update(form for form in swapped if passes_iso6346(form))
        for i in range(_LENGTH):
            forms.update(_fills(value[:i], value[i + 1 :]))
    elif len(value) == _LENGTH - 1:  # an insertion
        for i in range(_LENGTH):
            forms.update(_fills(value[:i], value[i:]))
    forms.discard(value)
    return forms


def _fills(prefix: str, suffix: str) -> list[str]:
    """The valid numbers `prefix + c + suffix` (11 characters) over every character c."""
    hole = len(prefix)
    known = prefix + "?" + suffix
    if any(
        c not in allowed
        for i, (c, allowed) in enumerate(zip(known, _ALLOWED, strict=True))
        if i != hole
    ):
        return []
    total = sum(ISO6346_VALUES[c] << i for i, c in enumerate(known[:10]) if i != hole)
    if hole == _LENGTH - 1:  # the check digit itself
        return [prefix + str(total % 11 % 10)]
    # The check digit is the weighted sum mod 11, and 0 also stands for a sum of 10 (mod 10).
    check = int(known[-1])
    sums = (check, 10) if check == 0 else (check,)
    return [
        prefix + c + suffix
        for s in sums
        for c in _BY_RESIDUE[hole][(s - total) * _INVERSE_WEIGHT[hole] % 11]
    ]
