"""Consumer lag as an operator needs it: how far each partition a group member owns is behind
the broker's log end, measured periodically (not only after a batch), so a backlog shows
while the member is still busy or has just re-joined."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from pnm.shared.observability import CONSUMER_LAG

JOINING = "joining"


@dataclass
class ConsumerLag:
    """The last measured lag of one group member, per `(topic, partition)` it owns.

    `measured` is False until the member has its partitions and has compared them with the
    broker's end offsets once: until then it cannot say it is up to date."""

    group: str
    catching_up_above: int = 0
    partitions: dict[tuple[str, int], int] = field(default_factory=dict)
    measured: bool = False

    def record(self, topic: str, partition: int, lag: int) -> None:
        lag = max(lag, 0)
        self.partitions[(topic, partition)] = lag
        CONSUMER_LAG.labels(self.group, topic, str(partition)).set(lag)

    def forget(self, owned: set[tuple[str, int]]) -> None:
        """Drop partitions this member no longer owns: their lag is another member's to tell."""
        for topic, partition in set(self.partitions) - owned:
            del self.partitions[(topic, partition)]
            with contextlib.suppress(KeyError):  # never set: nothing to remove
                CONSUMER_LAG.remove(self.group, topic, str(partition))

    def reset(self) -> None:
        """The member left the group (crash, rebalance, shutdown): nothing is known."""
        self.forget(set())
        self.measured = False

    @property
    def total(self) -> int:
        return sum(self.partitions.values())

    def catching_up(self) -> dict[str, Any] | None:
        """The readiness detail when this member is behind (or has not measured yet)."""
        if not self.measured:
            return {"state": JOINING}
        if self.total <= self.catching_up_above:
            return None
        behind = {f"{t}/{p}": lag for (t, p), lag in sorted(self.partitions.items()) if lag}
        return {"lag": self.total, "partitions": behind}


def catching_up(lags: list[ConsumerLag]) -> dict[str, Any]:
    """`{"catching_up": {group: detail}}` for the groups that are behind; `{}` when none is."""
    behind = {lag.group: detail for lag in lags if (detail := lag.catching_up()) is not None}
    return {"catching_up": behind} if behind else {}
