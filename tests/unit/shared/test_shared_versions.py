"""One "newer version wins" for every record and decision (pnm.shared.versions)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from pnm.shared.versions import keep_newest, newer_wins


def test_nothing_stored_takes_any_version() -> None:
    assert newer_wins(None, 1)


def test_only_a_higher_version_replaces_the_stored_one() -> None:
    assert newer_wins(2, 3)
    assert not newer_wins(3, 3)
    assert not newer_wins(3, 2)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=12), st.randoms())
def test_a_batch_ends_on_its_newest_version_whatever_the_order(
    versions: list[int], shuffle: random.Random
) -> None:
    arrivals = [(version, n) for n, version in enumerate(versions)]
    shuffle.shuffle(arrivals)
    kept: dict[str, tuple[int, int]] = {}
    taken = [keep_newest(kept, "line", item, lambda i: i[0]) for item in arrivals]
    newest = max(versions)
    assert kept["line"][0] == newest
    # the first arrival of the newest version is the one kept; an equal one later is not
    assert kept["line"] == next(item for item in arrivals if item[0] == newest)
    assert taken[0]
    assert sum(taken) == len(
        {i for i, (v, _) in enumerate(arrivals) if all(w < v for w, _ in arrivals[:i])}
    )
