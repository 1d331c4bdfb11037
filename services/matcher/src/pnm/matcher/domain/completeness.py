"""Fail closed: what the matcher decides for a line it cannot process, and how it reads the
identity of a line that is otherwise unreadable. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pnm.shared.contracts.limits import VERSION_MAX
from pnm.shared.contracts.records import Decision, DecisionStatus, Reason
from pnm.shared.text import digest as identity_digest
from pnm.shared.text import storable, unstorable

UNPROCESSABLE = "unprocessable"
NO_INDICATORS = "none"  # no indicator set was applied to an unprocessable line
ERROR_KEPT_CHARS = 2000


@dataclass(frozen=True)
class LineIdentity:
    manifest_id: str
    line_id: str
    version: int

    @property
    def digest(self) -> bytes:
        return identity_digest(self.manifest_id, self.line_id)


def _identifier(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip() or unstorable(value):
        return None
    return value.strip()


def line_identity(data: object) -> LineIdentity | None:
    """manifest_id, line_id and version of a line event's data, read as leniently as the
    contract allows, so that a line otherwise invalid can still be decided; None when even
    these cannot be read (that event stays a dead letter)."""
    if not isinstance(data, Mapping):
        return None
    manifest_id = _identifier(data.get("manifest_id"))
    line_id = _identifier(data.get("line_id"))
    version = data.get("version")
    if manifest_id is None or line_id is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    if not 1 <= version <= VERSION_MAX:
        return None
    return LineIdentity(manifest_id, line_id, version)


def error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    if len(text) > ERROR_KEPT_CHARS:
        text = text[: ERROR_KEPT_CHARS - 1] + "…"
    return str(storable(text))


def unprocessable_decision(
    identity: LineIdentity, decision_number: int, error: BaseException, now: datetime
) -> Decision:
    """`review` with reason `unprocessable`: a person looks at the line the matcher could not."""
    return Decision(
        manifest_id=identity.manifest_id,
        line_id=identity.line_id,
        line_version=identity.version,
        decision_number=decision_number,
        status=DecisionStatus.REVIEW,
        regimes=[],
        per_regime=[],
        references=[],
        reasons=[
            Reason(
                code=UNPROCESSABLE,
                text=f"the matcher could not process this line: {error_text(error)}",
            )
        ],
        explanation=[],
        indicator_set_version=NO_INDICATORS,
        decided_at=now,
    )
