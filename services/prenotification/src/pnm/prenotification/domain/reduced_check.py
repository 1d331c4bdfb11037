"""Reduced check of plants and plant products (docs/sources.md, "Reduced check of plants
(seed 001 §5.1.3, §5.2.3)").

When a CHED-PP consignment is selected for a reduced check, "het originele fytosanitair
certificaat moet binnen 48 uur na binnenkomst van de zending bij de keuringsdienst worden
ingeleverd": the original phytosanitary certificate must reach the inspection service within
48 hours after the consignment arrives. This service does not see the actual arrival (that is
the manifest's), so the due time is computed from the expected arrival of the pre-notification.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pnm.shared.contracts.records import ChedType, PreNotification

CERTIFICATE_DUE_AFTER = timedelta(hours=48)


def certificate_due(record: PreNotification) -> datetime | None:
    """When the original phytosanitary certificate is due, or None if the rule does not apply."""
    if record.ched_type is ChedType.CHED_PP and record.control.regime == "reduced":
        arrival = record.expected_arrival  # elapsed hours, not wall-clock ones, across DST
        return (arrival.astimezone(UTC) + CERTIFICATE_DUE_AFTER).astimezone(arrival.tzinfo)
    return None
