"""Which event a stored manifest line version stands for."""

from __future__ import annotations

from pnm.shared.contracts.records import ManifestLine
from pnm.shared.contracts.topics import EventType


def line_event_type(line: ManifestLine, inserted: bool) -> str:
    if line.withdrawn:
        return EventType.MANIFEST_LINE_WITHDRAWN
    return EventType.MANIFEST_LINE_DECLARED if inserted else EventType.MANIFEST_LINE_AMENDED
