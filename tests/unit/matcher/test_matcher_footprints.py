"""What a decision step read against what another transaction wrote: any shared name in one
kind is a conflict; names of different kinds never are."""

from __future__ import annotations

import pytest

from pnm.matcher.adapters.footprints import Footprint
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.shared.contracts.records import ChedType
from pnm.testing.records import container, manifest_line, prenotification

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


def test_a_line_box_one_typo_from_a_notified_box_conflicts_with_reading_that_notification() -> None:
    """A notified box that fails its check digit, and a line of the box it was meant to be;
    the line of another box, on the same vessel, does not conflict."""
    box = container(4711)
    typo = box[:5] + ("3" if box[5] != "3" else "4") + box[6:]
    read, wrote, other = Footprint(), Footprint(), Footprint()
    read.add_coverage(_notified(typo))
    wrote.add_coverage(_line(box))
    other.add_coverage(_line(container(815)))
    assert read.overlaps(wrote)
    assert not read.overlaps(other)


def _line(box: str) -> LineFacts:
    return LineFacts.of(
        manifest_line("FP-1", "1", hs_code="020130", description="beef", containers=[box])
    )


def _notified(box: str) -> NotificationFacts:
    return NotificationFacts.of(
        prenotification(
            "CHEDP.NL.2026.0000001",
            ched_type=ChedType.CHED_P,
            cn_code="0201",
            description="beef",
            containers=[box],
        )
    )
