"""The scorecard of `pnm replay --expect`: hold recall and hold precision on pairs made by hand."""

from __future__ import annotations

import io

from pnm.cli.replay import Scorecard


def _card() -> Scorecard:
    return Scorecard(
        [
            ("unnotified", "unnotified"),  # held, should be
            ("invalid_notification", "unnotified"),  # held, should be (another hold)
            ("unnotified", "review"),  # should be held, is not: a miss
            ("unnotified", "missing"),  # no decision at all: a miss
            ("notified", "invalid_notification"),  # held, should not be: a false hold
            ("review", "review"),
            ("not_controlled", "not_controlled"),
        ]
    )


def test_hold_recall_and_precision_count_either_holding_status_as_a_hold() -> None:
    card = _card()
    assert card.holds == (2, 4, 3)  # held and should, should, held
    assert card.hold_recall == 2 / 4
    assert card.hold_precision == 2 / 3


def test_hold_figures_are_printed() -> None:
    out = io.StringIO()
    _card().write(out)
    assert "hold recall 0.5000 (2 of 4 that should be held)" in out.getvalue()
    assert "hold precision 0.6667 (2 of 3 held)" in out.getvalue()


def test_no_line_to_hold_and_none_held_is_perfect() -> None:
    card = Scorecard([("notified", "notified")])
    assert (card.hold_recall, card.hold_precision) == (1.0, 1.0)
