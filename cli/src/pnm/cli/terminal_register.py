"""What `pnm terminal-sim` does with an instruction, without any I/O: the terminal's container
register, de-duplication by instruction id, the sequence rule (per hold, only a sequence above
the last one applied: a release never overtakes its block), the seeded rejections and delays,
and the downtime schedule. docs/terminal-sim.md describes the behaviour."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Result = Literal["applied", "rejected"]
# What the terminal did with one instruction, as printed:
#   applied / rejected: a new instruction, answered so;
#   duplicate: seen before (same id), the first answer given again;
#   superseded: a sequence at or below the last one applied for the hold, not applied.
ReceiptKind = Literal["applied", "rejected", "duplicate", "superseded"]

REJECTION_REASONS = (
    "container not found in the yard",
    "container already gated out",
    "terminal system refused the block: unknown booking",
)


@dataclass(frozen=True)
class ReceivedInstruction:
    """The fields of a TerminalInstruction the terminal acts on."""

    instruction_id: str
    hold_id: str
    action: Literal["block", "release"]
    sequence: int
    containers: tuple[str, ...]

    @classmethod
    def of(cls, payload: dict[str, Any]) -> ReceivedInstruction:
        return cls(
            instruction_id=str(payload["instruction_id"]),
            hold_id=str(payload["hold_id"]),
            action=payload["action"],
            sequence=int(payload["sequence"]),
            containers=tuple(payload.get("containers") or ()),
        )


@dataclass(frozen=True)
class Receipt:
    """What the register did with one instruction it received, and the answer sent back."""

    instruction: ReceivedInstruction
    kind: ReceiptKind
    result: Result  # the answer sent back
    detail: str | None


@dataclass
class Register:
    """The terminal's view: which containers are blocked by which holds, the last sequence
    applied per hold, and the answer given to every instruction id seen."""

    blocked: dict[str, list[str]] = field(default_factory=dict)  # container -> hold ids
    last_sequence: dict[str, int] = field(default_factory=dict)  # hold id -> sequence
    answers: dict[str, tuple[Result, str | None]] = field(default_factory=dict)

    def is_blocked(self, container: str) -> bool:
        return bool(self.blocked.get(container))

    def receive(self, sent: ReceivedInstruction, reject: str | None = None) -> Receipt:
        """Take one instruction; `reject` (a reason) when the terminal cannot apply it."""
        if (answer := self.answers.get(sent.instruction_id)) is not None:
            return Receipt(sent, "duplicate", *answer)
        last = self.last_sequence.get(sent.hold_id, 0)
        if sent.sequence <= last:
            detail = f"superseded: sequence {last} already applied for hold {sent.hold_id}"
            self.answers[sent.instruction_id] = ("rejected", detail)
            return Receipt(sent, "superseded", "rejected", detail)
        if reject is not None:
            self.answers[sent.instruction_id] = ("rejected", reject)
            return Receipt(sent, "rejected", "rejected", reject)
        self.last_sequence[sent.hold_id] = sent.sequence
        for box in sent.containers:
            holds = self.blocked.setdefault(box, [])
            if sent.action == "block" and sent.hold_id not in holds:
                holds.append(sent.hold_id)
            elif sent.action == "release" and sent.hold_id in holds:
                holds.remove(sent.hold_id)
            if not holds:
                del self.blocked[box]
        self.answers[sent.instruction_id] = ("applied", None)
        return Receipt(sent, "applied", "applied", None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Register:
        return cls(
            blocked={k: list(v) for k, v in data.get("blocked", {}).items()},
            last_sequence={k: int(v) for k, v in data.get("last_sequence", {}).items()},
            answers={k: (v[0], v[1]) for k, v in data.get("answers", {}).items()},
        )


@dataclass(frozen=True)
class Behaviour:
    """How slow and unreliable the terminal is: a delay drawn from [low, high] seconds before
    each new instruction is applied, and a rejection rate, both from a seeded generator so a
    run can be repeated."""

    delay: tuple[float, float] = (0.0, 0.0)
    reject_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        low, high = self.delay
        if not 0 <= low <= high:
            raise ValueError(f"delay {self.delay}: need 0 <= low <= high seconds")
        if not 0 <= self.reject_rate <= 1:
            raise ValueError(f"reject rate {self.reject_rate}: need 0..1")

    def generator(self) -> random.Random:
        return random.Random(self.seed)

    def draw(self, rng: random.Random) -> tuple[float, str | None]:
        """(delay in seconds, a rejection reason or None) for the next new instruction."""
        delay = rng.uniform(*self.delay)
        reject = rng.random() < self.reject_rate
        return delay, rng.choice(REJECTION_REASONS) if reject else None


@dataclass(frozen=True)
class Downtime:
    """Up for `every - down_for` seconds, then down for `down_for`, repeating from the start
    (every = 0: never down). While down the terminal reads and answers nothing."""

    every: float = 0.0
    down_for: float = 0.0

    def __post_init__(self) -> None:
        if self.every < 0 or self.down_for < 0 or (self.every and self.down_for >= self.every):
            raise ValueError(
                f"downtime every {self.every} s for {self.down_for} s: need 0 <= for < every"
            )

    def down_until(self, elapsed: float) -> float | None:
        """When (elapsed seconds) the terminal is up again, or None if it is up now."""
        if not self.every or not self.down_for:
            return None
        cycle, into = divmod(elapsed, self.every)
        if into < self.every - self.down_for:
            return None
        return (cycle + 1) * self.every


def parse_delay(text: str) -> tuple[float, float]:
    """`2` (always two seconds) or `0.5-3` (uniformly between)."""
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise ValueError(f"delay {text!r}: SECONDS or LOW-HIGH") from None
    return bounds
