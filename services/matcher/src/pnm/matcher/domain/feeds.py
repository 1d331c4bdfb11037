"""Stage 8, feed health (docs/architecture.md, "The matcher's stages"; docs/sources.md,
"Emergency procedures (seed 000)"): while the pre-notification feed of a regime is silent past
its threshold or an emergency procedure runs, the missing notifications may be stuck upstream,
so the matcher issues no new `unnotified` or `overdue` for that regime."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from pnm.matcher.domain.indicators import Parameters
from pnm.shared.contracts.records import FeedStatus, Regime

FEED_REGIMES: dict[str, frozenset[Regime]] = {
    "client-import": frozenset({Regime.PHYTO}),
    "vgc": frozenset({Regime.VET}),
    "traces": frozenset({Regime.PHYTO, Regime.VET}),
}


def with_life(feeds: Iterable[FeedStatus], life: Mapping[str, datetime]) -> list[FeedStatus]:
    """The feeds after a sign of life (a record) of some of them: a later one moves their
    last record on; an earlier one, or one of a feed never heard of, changes nothing."""
    return [
        feed.model_copy(update={"last_record_at": life[feed.system]})
        if feed.system in life
        and (feed.last_record_at is None or feed.last_record_at < life[feed.system])
        else feed
        for feed in feeds
    ]


def degraded_feeds(feeds: Iterable[FeedStatus], now: datetime, p: Parameters) -> dict[Regime, str]:
    """The regimes whose feed is degraded at `now`, each with why. A feed the matcher never
    heard of is not degraded: silence is measured from the last sign of life."""
    degraded: dict[Regime, str] = {}
    for feed in feeds:
        regimes = FEED_REGIMES.get(feed.system, frozenset())
        why = None
        if feed.emergency:
            since = feed.emergency_since.isoformat() if feed.emergency_since else "unknown"
            why = f"{feed.system} emergency procedure since {since}"
        else:
            alive = max(
                (t for t in (feed.last_record_at, feed.last_heartbeat_at) if t is not None),
                default=None,
            )
            limit = p.feed_silence_minutes.get(feed.system)
            if alive is not None and limit is not None and now - alive > timedelta(minutes=limit):
                why = f"{feed.system} silent since {alive.isoformat()}"
        if why:
            for regime in regimes:
                degraded.setdefault(regime, why)
    return degraded
