"""The audit trail's hash chain: how an entry is hashed and how a run of entries is verified.
Pure (no I/O); the database appends (see `pnm.holds.audit` and docs/audit.md).

An entry's hash is SHA-256 over `pnm-audit-1|<sequence>|<prev_hash>|<content digest>`, where the
content digest is SHA-256 over the canonical JSON of everything else the entry says (when, who,
what, on which subject, before/after, outcome, detail). The content digest is computed when the
entry is written; the sequence and the previous hash are only known when the entry is appended
to the chain, at commit, under the chain's lock (so the lock is held for the commit alone).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

FORMAT = "pnm-audit-1"
GENESIS_HASH = "0" * 64  # the previous hash of entry 1

ActionResult = Literal["done", "refused"]


def plain(value: Any) -> Any:
    """`value` as the JSON that reads back from jsonb exactly as it was written: keys text,
    times ISO 8601, decimals text, whole floats integers (jsonb keeps 1e20 as the integer
    100000000000000000000), tuples and sets lists; NaN and infinities, which JSON cannot
    hold, as their text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=_canonical_json)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} cannot be kept in the audit trail")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def timestamp(at: datetime) -> str:
    """A moment as the chain hashes it: UTC, microseconds (PostgreSQL's precision)."""
    if at.tzinfo is None:
        raise ValueError("an audit entry's time must carry its time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Content:
    """What one entry says, apart from its place in the chain."""

    at: datetime
    actor_subject: str
    actor_roles: tuple[str, ...]
    actor_organisation: str | None
    action: str
    subject_type: str
    subject_id: str
    before: Any  # plain JSON (see `plain`) or None
    after: Any
    outcome: str
    detail: str | None

    def canonical(self) -> bytes:
        return _canonical_json(
            {
                "at": timestamp(self.at),
                "actor": {
                    "subject": self.actor_subject,
                    "roles": list(self.actor_roles),
                    "organisation": self.actor_organisation,
                },
                "action": self.action,
                "subject": {"type": self.subject_type, "id": self.subject_id},
                "before": self.before,
                "after": self.after,
                "outcome": self.outcome,
                "detail": self.detail,
            }
        ).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def chain_hash(sequence: int, prev_hash: str, content_digest: str) -> str:
    """The entry's hash (the database computes the same at append: see the migration)."""
    return hashlib.sha256(f"{FORMAT}|{sequence}|{prev_hash}|{content_digest}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    sequence: int
    content: Content
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Head:
    """The chain's last sequence and hash, as the database keeps them apart from the entries."""

    sequence: int
    hash: str


GENESIS = Head(0, GENESIS_HASH)


def append(head: Head, content: Content) -> Entry:
    """The next entry after `head` (what the database does at commit, for tests and tools)."""
    sequence = head.sequence + 1
    return Entry(sequence, content, head.hash, chain_hash(sequence, head.hash, content.digest()))


def chain(contents: Iterable[Content], head: Head = GENESIS) -> list[Entry]:
    entries = []
    for content in contents:
        entries.append(entry := append(head, content))
        head = Head(entry.sequence, entry.hash)
    return entries


# Why verification stopped, by what it means for the trail.
TrailBreak = Literal[
    "altered",  # the entry's content or hash is not what was hashed when it was appended
    "broken_link",  # its prev_hash is not the previous entry's hash: inserted or removed before
    "removed",  # a sequence number is missing, or the head names more entries than exist
    "beyond_head",  # entries after the head's sequence
    "head_mismatch",  # the head's hash is not the last entry's
    "anchor_mismatch",  # an entry's hash is not the one kept outside the database
]


@dataclass(frozen=True)
class Break:
    sequence: int
    reason: TrailBreak
    detail: str


@dataclass
class Verifier:
    """Checks entries in sequence order, a chunk at a time (the trail is too long to hold in
    memory), from `start` (the genesis, or an archived range's last entry). `finish(head)`
    gives the first break, or None when the chain is whole up to the head. `anchors`: hashes
    kept outside the database (sequence: hash, e.g. an earlier verification's head): against a
    rewrite of the whole tail, which the chain alone cannot show."""

    start: Head = GENESIS
    anchors: Mapping[int, str] = field(default_factory=dict)
    entries: int = 0
    first_break: Break | None = None
    _last: Head = field(init=False)

    def __post_init__(self) -> None:
        self._last = self.start

    def feed(self, entries: Iterable[Entry]) -> bool:
        """False once a break is found (later entries cannot change the first break)."""
        for entry in entries:
            if self.first_break is not None:
                return False
            self.entries += 1
            self.first_break = self._check(entry)
            self._last = Head(entry.sequence, entry.hash)
        return self.first_break is None

    def _check(self, entry: Entry) -> Break | None:
        expected = self._last.sequence + 1
        if entry.sequence != expected:
            missing = f"{expected}" if entry.sequence == expected + 1 else f"{expected}.."
            return Break(
                expected,
                "removed",
                f"entry {missing} missing: after {self._last.sequence} comes {entry.sequence}",
            )
        if entry.prev_hash != self._last.hash:
            return Break(
                entry.sequence,
                "broken_link",
                f"an entry was inserted or removed before it: its prev_hash "
                f"{entry.prev_hash[:16]}… is not the hash of entry {self._last.sequence} "
                f"({self._last.hash[:16]}…)",
            )
        recomputed = chain_hash(entry.sequence, entry.prev_hash, entry.content.digest())
        if entry.hash != recomputed:
            return Break(
                entry.sequence,
                "altered",
                f"the entry hashes to {recomputed[:16]}…, its stored hash is {entry.hash[:16]}…",
            )
        kept = self.anchors.get(entry.sequence)
        if kept is not None and kept != entry.hash:
            return Break(
                entry.sequence,
                "anchor_mismatch",
                f"the chain was rewritten: entry {entry.sequence}'s hash is {entry.hash[:16]}…, "
                f"the hash kept for it is {kept[:16]}…",
            )
        return None

    def finish(self, head: Head) -> Break | None:
        if self.first_break is not None:
            return self.first_break
        last = self._last
        if beyond := [n for n in self.anchors if n > last.sequence]:
            self.first_break = Break(
                last.sequence + 1,
                "removed",
                f"a hash is kept for entry {min(beyond)}, the last found is {last.sequence}",
            )
        elif last.sequence < head.sequence:
            self.first_break = Break(
                last.sequence + 1,
                "removed",
                f"the head names {head.sequence} entries, the last found is {last.sequence}",
            )
        elif last.sequence > head.sequence:
            self.first_break = Break(
                head.sequence + 1,
                "beyond_head",
                f"entries up to {last.sequence} exist, the head names {head.sequence}",
            )
        elif last.hash != head.hash:
            self.first_break = Break(
                head.sequence,
                "head_mismatch",
                f"the head's hash {head.hash[:16]}… is not entry {last.sequence}'s "
                f"({last.hash[:16]}…)",
            )
        return self.first_break


def verify(
    entries: Sequence[Entry],
    head: Head,
    start: Head = GENESIS,
    anchors: Mapping[int, str] | None = None,
) -> Break | None:
    """The first break of `entries` (in sequence order) against `head`, or None."""
    verifier = Verifier(start, dict(anchors or {}))
    verifier.feed(entries)
    return verifier.finish(head)


def entry_json(entry: Entry) -> dict[str, Any]:
    """An entry as an archive line keeps it: every field, its place in the chain and hash."""
    c = entry.content
    return {
        "sequence": entry.sequence,
        "at": timestamp(c.at),
        "actor": {
            "subject": c.actor_subject,
            "roles": list(c.actor_roles),
            "organisation": c.actor_organisation,
        },
        "action": c.action,
        "subject_type": c.subject_type,
        "subject_id": c.subject_id,
        "before": c.before,
        "after": c.after,
        "outcome": c.outcome,
        "detail": c.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def entry_from_json(line: Mapping[str, Any]) -> Entry:
    actor = line["actor"]
    content = Content(
        at=datetime.fromisoformat(line["at"]),
        actor_subject=actor["subject"],
        actor_roles=tuple(actor["roles"]),
        actor_organisation=actor["organisation"],
        action=line["action"],
        subject_type=line["subject_type"],
        subject_id=line["subject_id"],
        before=line["before"],
        after=line["after"],
        outcome=line["outcome"],
        detail=line["detail"],
    )
    return Entry(int(line["sequence"]), content, line["prev_hash"], line["hash"])
