"""The demo's own day (`pnm standalone --demo`, docs/demo.md): beef nobody notified, notified
grapes and T-shirts on one vessel at Rotterdam, and the beef's late pre-notification."""

from __future__ import annotations

from datetime import timedelta

from pnm.cli.replay_input import ScenarioEvent
from pnm.shared.calendar import working_days_before
from pnm.shared.contracts.records import ChedType, PreNotification
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line, prenotification

DEMO_MANIFEST = "DEMO-EMMA-248W"
DEMO_BEEF = container(100001)


def demo_events() -> list[ScenarioEvent]:
    """A small day at Rotterdam: beef nobody notified, notified grapes, T-shirts, the arrival."""
    manifest = DEMO_MANIFEST
    beef, grapes, shirts = DEMO_BEEF, container(100002), container(100003)
    t0 = working_days_before(BASE_ETA, 1) - timedelta(days=1)  # a day before the deadline
    return [
        ScenarioEvent(
            "prenotification",
            t0,
            prenotification(
                "CHEDPP.NL.2026.0000001",
                ched_type=ChedType.CHED_PP,
                cn_code="08061010",
                description="Table grapes, fresh",
                containers=[grapes],
            ),
        ),
        *(
            ScenarioEvent(
                "manifest.line",
                t0 + timedelta(hours=1),
                manifest_line(manifest, number, hs_code=hs, description=goods, containers=[box]),
            )
            for number, hs, goods, box in (
                ("1", "020130", "Frozen boneless beef", beef),
                ("2", "080610", "Fresh table grapes", grapes),
                ("3", "610910", "Cotton T-shirts", shirts),
            )
        ),
        ScenarioEvent("manifest.arrival", BASE_ETA, arrival(manifest)),
    ]


def demo_late_prenotification() -> PreNotification:
    """The beef's importer notifies after all (the demo's hold goes from block to release)."""
    return prenotification(
        "CHEDP.NL.2026.0000002",
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="Frozen boneless beef",
        containers=[DEMO_BEEF],
    )
