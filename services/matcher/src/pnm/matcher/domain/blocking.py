"""Stage 4, candidates (blocking): pre-notifications indexed by their block keys (strong keys,
typo neighbourhoods of containers and documents, vessel or flight with the party), so a line
finds its candidates by a few dictionary probes and never by a scan, at any number of active
pre-notifications."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from pnm.matcher.domain.facts import LineFacts, NotificationFacts


class NotificationIndex:
    def __init__(
        self, notifications: Iterable[NotificationFacts] = (), only: AbstractSet[str] | None = None
    ) -> None:
        """`only`: index just these keys (the block keys of the lines at hand), not every key
        of every notification."""
        self._by_reference: dict[str, NotificationFacts] = {}
        self._by_key: dict[str, set[str]] = defaultdict(set)
        self._only = only
        for n in notifications:
            self.put(n)

    def __len__(self) -> int:
        return len(self._by_reference)

    def get(self, reference: str) -> NotificationFacts | None:
        return self._by_reference.get(reference)

    def put(self, n: NotificationFacts) -> NotificationFacts | None:
        """Add or replace; returns the version it replaced."""
        previous = self._by_reference.get(n.reference)
        if previous is not None:
            for k in previous.block_keys:
                self._by_key[k].discard(n.reference)
        self._by_reference[n.reference] = n
        for k in n.block_keys if self._only is None else n.block_keys & self._only:
            self._by_key[k].add(n.reference)
        return previous

    def candidates(self, facts: LineFacts) -> list[NotificationFacts]:
        """A superset of the line's block (the arrival window is checked by the domain)."""
        by_key = self._by_key
        references = set().union(*(by_key[k] for k in facts.block_keys if k in by_key))
        return [self._by_reference[r] for r in sorted(references)]
