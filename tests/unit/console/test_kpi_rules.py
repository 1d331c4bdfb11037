"""The KPI rules (domain/kpis.py): what counts as notified in time, false positives per
indicator, hours without decisions, quiet feeds, and reconciliation answers read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pnm.console.domain.kpis import (
    NONE,
    FeedAlert,
    Share,
    feed_alerts,
    indicator_kpis,
    notified_in_time,
    per_hour,
    reconciliation,
)

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def test_notified_in_time_counts_only_settled_lines() -> None:
    counts = [
        ("NLRTM", "notified", 6),
        ("NLRTM", "notified_late", 1),
        ("NLRTM", "unnotified", 1),
        ("NLRTM", "awaiting_notification", 9),  # may still be notified: not counted
        ("NLRTM", "review", 4),
        ("NLRTM", "not_controlled", 50),
        ("NLAMS", "overdue", 1),
        ("NLAMS", "invalid_notification", 1),
        (None, "notified", 2),
    ]
    found = notified_in_time(counts)
    assert found.total == Share(8, 12)
    assert found.by_bcp == [(NONE, Share(2, 2)), ("NLAMS", Share(0, 2)), ("NLRTM", Share(6, 8))]


def test_nothing_settled_is_no_rate_not_zero() -> None:
    found = notified_in_time([("NLRTM", "awaiting_notification", 3)])
    assert found.total.rate is None
    assert found.by_bcp == []


def test_false_positive_rate_per_indicator() -> None:
    counts = [
        ("cn:0201", "not_controlled", 3),
        ("cn:0201", "handed_to_authority", 1),
        ("keyword:beef", "bilateral_agreement", 1),
        ("keyword:beef", "prenotified_not_registered", 1),  # controlled: not a false positive
        ("", "handed_to_authority", 2),  # a manual hold's case
    ]
    found = {i.indicator: i for i in indicator_kpis(counts)}
    assert [i.indicator for i in indicator_kpis(counts)] == [
        "cn:0201",
        NONE,
        "keyword:beef",
    ]
    assert found["cn:0201"].closed == 4
    assert found["cn:0201"].false_positive_rate == 0.75
    assert found["keyword:beef"].false_positive_rate == 0.5
    assert found[NONE].false_positive_rate == 0.0


def test_per_hour_fills_quiet_hours_and_ends_with_the_current_one() -> None:
    ten = datetime(2026, 12, 7, 10, tzinfo=UTC)
    hours = per_hour({ten: 4, ten - timedelta(hours=2): 1}, NOW, 4)
    assert hours == [
        (ten - timedelta(hours=3), 0),
        (ten - timedelta(hours=2), 1),
        (ten - timedelta(hours=1), 0),
        (ten, 4),
    ]


def _feed(system: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "system": system,
        "last_record_at": None,
        "last_heartbeat_at": None,
        "emergency": False,
        "emergency_since": None,
        "note": None,
    }
    return row | values


def test_feed_quiet_past_its_threshold_and_emergencies_first() -> None:
    limits = {"vgc": 60.0, "client-import": 60.0, "traces": 60.0}
    feeds = [
        # A heartbeat keeps a feed alive although no record came.
        _feed(
            "client-import",
            last_record_at=NOW - timedelta(hours=5),
            last_heartbeat_at=NOW - timedelta(minutes=10),
        ),
        _feed("vgc", last_record_at=NOW - timedelta(minutes=61)),
        _feed(
            "traces",
            emergency=True,
            emergency_since=NOW - timedelta(hours=1),
            note="down",
            last_record_at=NOW - timedelta(hours=3),
        ),
        _feed("dmf", last_record_at=NOW - timedelta(days=1)),  # no threshold: never quiet
        _feed("written"),  # never heard from: not quiet
    ]
    assert feed_alerts(feeds, NOW, limits) == [
        FeedAlert("emergency", "traces", NOW - timedelta(hours=1), "down"),
        FeedAlert("quiet", "vgc", NOW - timedelta(minutes=61)),
    ]
    assert feed_alerts(feeds[1:2], NOW, {"vgc": 62.0}) == []


def test_reconciliation_answers_read() -> None:
    report = {
        "gaps": {"missing_hold": 2, "unreadable": 0},
        "oldest_gap_seconds": {"missing_hold": 420.0, "unreadable": 0.0},
    }
    read = reconciliation("holds", 200, report, "")
    assert (read.status, read.total, read.oldest_seconds) == ("gaps", 2, 420.0)
    clear = reconciliation("matcher", 200, {"gaps": {"undecided_line": 0}}, "")
    assert (clear.status, clear.total, clear.oldest_seconds) == ("clear", 0, None)
    refused = reconciliation(
        "matcher", 403, {"detail": "requires one of admin"}, "requires one of admin"
    )
    assert (refused.status, refused.detail) == ("refused", "403: requires one of admin")
    # An answer that is not a report is never taken for "no gaps".
    assert reconciliation("holds", 200, "<html>", "<html>").status == "unreadable"
    assert reconciliation("holds", 200, {"gaps": {"x": "many"}}, "").status == "unreadable"
