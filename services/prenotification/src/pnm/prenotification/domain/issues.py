"""What is wrong with a submitted pre-notification, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "flag"]


@dataclass(frozen=True)
class Issue:
    """One finding about one field.

    `field` is a dotted path into the record (`commodities.0.cn_code`, `containers.1`); `rule` is
    a stable name (`bcp.not_designated`) that clients and dashboards can rely on; `message` is
    for people. An `error` refuses the record; a `flag` keeps it and marks it (a failed check
    digit is evidence of a typo, and the matcher still needs the identifier).
    """

    field: str
    value: str | None
    rule: str
    message: str
    severity: Severity
