"""What a decision step read against what another transaction wrote: any shared name in one
kind is a conflict; names of different kinds never are."""

from __future__ import annotations

import pytest

from pnm.matcher.adapters.footprints import Footprint

# Kinds compared name for name (the typo neighbourhoods have a rule of their own).
KINDS = ["lines", "line_keys", "notifications", "notification_keys", "manifests"]


def _naming(kind: str, *names: str) -> Footprint:
    footprint = Footprint()
    getattr(footprint, kind).update(names)
    return footprint


@pytest.mark.parametrize("kind", KINDS)
def test_a_name_both_have_is_a_conflict(kind: str) -> None:
    read, wrote = _naming(kind, "a", "b"), _naming(kind, "b", "c")
    assert read.overlaps(wrote) and wrote.overlaps(read)


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_name_of_another_kind_is_not(kind: str) -> None:
    other = next(k for k in KINDS if k != kind)
    assert not _naming(kind, "x").overlaps(_naming(other, "x"))


def test_a_feed_status_conflicts_with_every_step_that_read_feeds() -> None:
    assert Footprint(feeds=True).overlaps(Footprint(feeds=True))
    assert not Footprint(feeds=True).overlaps(Footprint())


def test_a_sign_of_life_conflicts_only_with_a_step_that_saw_a_feed_degraded() -> None:
    sign_of_life = Footprint(feed_life=True)
    assert sign_of_life.overlaps(Footprint(feeds=True, feed_life=True))
    assert not sign_of_life.overlaps(Footprint(feeds=True))


def test_line_keys_name_manifest_and_line() -> None:
    read = Footprint()
    read.add_lines([("M-1", "1")])
    wrote = Footprint()
    wrote.add_lines([("M-1", "1"), ("M-1", "2")])
    assert read.overlaps(wrote)
    other = Footprint()
    other.add_lines([("M-1", "2")])
    assert not read.overlaps(other)


@pytest.mark.parametrize(
    ("read", "wrote", "conflict"),
    [
        ("near_invalid", "near_valid", True),
        ("near_invalid", "near_invalid", True),
        ("near_valid", "near_invalid", True),
        # Two numbers that pass their check digit one typo apart are two consignments.
        ("near_valid", "near_valid", False),
    ],
)
def test_a_shared_typo_neighbourhood_conflicts_only_where_one_number_fails_its_check(
    read: str, wrote: str, conflict: bool
) -> None:
    assert (
        _naming(read, "near-container:imo:1|ABCU123456").overlaps(
            _naming(wrote, "near-container:imo:1|ABCU123456")
        )
        is conflict
    )


def test_a_line_box_one_typo_from_a_notified_box_conflicts_with_reading_that_notification() -> None:
    """A notified box that fails its check digit, and a line of the box it was meant to be."""
    box = "MSKU1234565"
    typo = box[:5] + "3" + box[6:]
    read, wrote = Footprint(), Footprint()
    read.add_coverage({f"container:{typo}"}, [typo], None, "imo:9321483")
    wrote.add_coverage({f"container:{box}"}, [box], None, "imo:9321483")
    assert read.overlaps(wrote)
    other = Footprint()
    other.add_coverage({"container:MSKU7654321"}, ["MSKU7654321"], None, "imo:9321483")
    assert not read.overlaps(other)
