"""What a feed's news re-decides (the service layer over the store in memory): an emergency
procedure holds back a new unnotified and an overdue, its end lets them through, and an
unnotified issued before it stands (a hold already given is not taken back)."""

from __future__ import annotations

from datetime import timedelta

from infra import vgc_status
from replaying import Replaying

from pnm.shared.contracts.records import ChedType, FeedStatus, ManifestLine
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line, prenotification

BEEF = manifest_line(
    "FEED-1", "1", hs_code="020230", description="frozen beef", containers=[container(77)]
)
KEY = (BEEF.manifest_id, BEEF.line_id)


def vgc(emergency: bool, at_hours: float) -> FeedStatus:
    return vgc_status(emergency, BASE_ETA + timedelta(hours=at_hours))


def declared(line: ManifestLine, matcher: Replaying) -> None:
    matcher.receive(line, BASE_ETA - timedelta(days=5))


def status(matcher: Replaying) -> tuple[str, list[str]]:
    decision = matcher.decisions[KEY]
    return decision.status.value, [r.code for r in decision.per_regime[0].reasons]


def test_an_outage_holds_a_new_unnotified_back_and_its_end_lets_it_through() -> None:
    matcher = Replaying()
    declared(BEEF, matcher)
    matcher.receive(vgc(True, -1), BASE_ETA - timedelta(hours=1))
    matcher.receive(arrival(BEEF.manifest_id), BASE_ETA)
    held, reasons = status(matcher)
    assert held != "unnotified" and "feed_outage" in reasons
    matcher.receive(vgc(False, 2), BASE_ETA + timedelta(hours=2))
    assert status(matcher)[0] == "unnotified"


def test_an_overdue_is_held_back_during_an_outage_and_returns_after_it() -> None:
    matcher = Replaying()
    declared(BEEF, matcher)
    # The lead-time deadline passes before the ship is in: overdue, fired at its time.
    matcher.advance(BASE_ETA - timedelta(hours=2))
    assert status(matcher)[0] == "overdue"
    matcher.receive(vgc(True, -1), BASE_ETA - timedelta(hours=1))
    assert status(matcher) == (
        "awaiting_notification",
        ["cn_prefix", "lead_time_passed", "feed_outage"],
    )
    matcher.receive(vgc(False, -0.5), BASE_ETA - timedelta(minutes=30))
    assert status(matcher)[0] == "overdue"


def test_an_unnotified_issued_before_an_outage_stands() -> None:
    matcher = Replaying()
    declared(BEEF, matcher)
    matcher.receive(arrival(BEEF.manifest_id), BASE_ETA)
    assert status(matcher)[0] == "unnotified"
    matcher.receive(vgc(True, 1), BASE_ETA + timedelta(hours=1))
    assert status(matcher)[0] == "unnotified"


def test_a_sign_of_life_ends_a_silence_and_lets_the_held_line_through() -> None:
    matcher = Replaying()
    declared(BEEF, matcher)
    # VGC's last sign of life a day before the arrival: silent beyond its limit.
    matcher.receive(vgc(False, -24), BASE_ETA - timedelta(hours=24))
    matcher.receive(arrival(BEEF.manifest_id), BASE_ETA)
    assert "feed_outage" in status(matcher)[1]
    # Any VGC pre-notification is a sign of life, here one for other goods.
    other = prenotification(
        "CHEDP.NL.2026.0770001",
        ched_type=ChedType.CHED_P,
        cn_code="0303",
        description="frozen fish",
        containers=[container(78)],
    ).model_copy(update={"vessel_imo": "9074729"})  # another ship: not a candidate of BEEF
    matcher.receive(other, BASE_ETA + timedelta(minutes=10))
    assert status(matcher)[0] == "unnotified"
