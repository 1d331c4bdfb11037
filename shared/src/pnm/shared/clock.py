"""What tells the time: a function giving the current instant. Services take one, so tests and
the replay can run them at another time. Imports nothing heavy: the replay loads it without the
web stack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
