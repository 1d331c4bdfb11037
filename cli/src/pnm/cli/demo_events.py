"""Builders of realistic canonical records for the demo, the tests and the benchmark."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pnm.shared.calendar import working_days_before
from pnm.shared.contracts.records import (
    Arrival,
    ChedType,
    Commodity,
    Control,
    GoodsItem,
    ManifestLine,
    Mode,
    Party,
    PreNotification,
    PreNotificationStatus,
    Procedure,
    Record,
    TransportDocument,
)


def next_eta(now: datetime | None = None) -> datetime:
    """06:00 UTC at least two days from now, late enough that its lead-time deadline (one NL
    working day before) is still half a day ahead: whatever the weekday, the demo and the tests
    start with lines awaiting notification, not overdue."""
    now = now or datetime.now(UTC)
    eta = now.replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=2)
    while working_days_before(eta, 1) < now + timedelta(hours=12):
        eta += timedelta(days=1)
    return eta


STARTED = datetime.now(UTC)
BASE_ETA = next_eta(STARTED)


# ISO 6346 character values: letters from 10, skipping the multiples of 11 (as stdnum's table).
_ISO6346_VALUES = {
    c: v for v, c in enumerate("0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ") if c != " "
}


def container(serial: int, owner: str = "PNMU") -> str:
    """A valid ISO 6346 container number (owner code + 6-digit serial + check digit). The check
    digit is computed here, not by stdnum, whose input cleaning costs several times the sum
    when a generated year makes millions of numbers (a unit test compares the two)."""
    body = f"{owner}{serial % 1_000_000:06d}"
    check = sum(_ISO6346_VALUES[c] << i for i, c in enumerate(body)) % 11 % 10
    return f"{body}{check}"


def manifest_line(
    manifest_id: str,
    line_id: str,
    *,
    hs_code: str | None,
    description: str,
    containers: list[str],
    bill_of_lading: str | None = None,
    version: int = 1,
    withdrawn: bool = False,
    terminal: str = "ECTDELTA",
    eta: datetime = BASE_ETA,
    procedure: Procedure = Procedure.IMPORT,
    origin: str = "AR",
    gross_mass_kg: float = 18_000.0,
) -> ManifestLine:
    return ManifestLine(
        manifest_id=manifest_id,
        line_id=line_id,
        version=version,
        withdrawn=withdrawn,
        mode=Mode.SEA,
        vessel_imo="9321483",
        vessel_name="EMMA MAERSK",
        voyage="248W",
        port_of_discharge="NLRTM",
        terminal=terminal,
        eta=eta,
        transport_document=TransportDocument(
            type="BL",
            number=bill_of_lading
            or f"MAEU{zlib.crc32(f'{manifest_id}/{line_id}'.encode()) % 10**9:09d}",
        ),
        containers=containers,
        procedure=procedure,
        consignor=Party(name="Frigorifico del Sur S.A.", country=origin),
        consignee=Party(name="Van der Berg Import B.V.", country="NL", eori="NL111222333"),
        country_of_origin=origin,
        place_of_loading="ARBUE",
        goods=[
            GoodsItem(
                item=1,
                hs_code=hs_code,
                description=description,
                gross_mass_kg=gross_mass_kg,
                packages=1200,
                country_of_origin=origin,
            )
        ],
    )


def prenotification(
    reference: str,
    *,
    ched_type: ChedType,
    cn_code: str,
    description: str,
    containers: list[str],
    transport_document: str | None = None,
    version: int = 1,
    status: PreNotificationStatus = PreNotificationStatus.SUBMITTED,
    expected_arrival: datetime = BASE_ETA,
    origin: str = "AR",
    net_mass_kg: float | None = None,
) -> PreNotification:
    """Submitted three days ahead (or now, if that lies in the future: intake refuses notices
    from the future); 16.5 t net per container, beside the manifest's 18 t gross."""
    return PreNotification(
        reference=reference,
        system="client-import" if ched_type is ChedType.CHED_PP else "vgc",
        ched_type=ched_type,
        version=version,
        status=status,
        submitted_at=min(expected_arrival - timedelta(days=3), STARTED - timedelta(minutes=5)),
        bcp="NLRTM",
        expected_arrival=expected_arrival,
        mode=Mode.SEA,
        vessel_imo="9321483",
        transport_document=transport_document,
        containers=containers,
        consignor=Party(name="Frigorifico del Sur S.A.", country=origin),
        importer=Party(name="Van der Berg Import B.V.", country="NL", eori="NL111222333"),
        country_of_origin=origin,
        commodities=[
            Commodity(
                cn_code=cn_code,
                description=description,
                net_mass_kg=net_mass_kg or 16_500.0 * max(1, len(containers)),
            )
        ],
        control=Control(regime="full"),
    )


def arrival(
    manifest_id: str, at: datetime = BASE_ETA, containers: list[str] | None = None
) -> Arrival:
    return Arrival(manifest_id=manifest_id, arrived_at=at, containers=containers)


@dataclass(frozen=True)
class ScenarioEvent:
    """One input as the replay file has it: `{"type", "time", "data"}`."""

    type: str  # "manifest.line" | "manifest.arrival" | "prenotification"
    time: datetime
    record: Record

    def to_replay(self) -> dict[str, object]:
        return {
            "type": self.type,
            "time": self.time.isoformat(),
            "data": self.record.model_dump(mode="json"),
        }

    def replay_line(self) -> str:
        """`to_replay` as one compact JSON line, the record serialised by pydantic directly: the
        same bytes as `json.dumps(to_replay(), ensure_ascii=False, separators=(",", ":"))`
        (the corpus test compares them), at under half the cost, for generated years."""
        data = self.record.model_dump_json()
        return (
            f'{{"type":{json.dumps(self.type)},"time":"{self.time.isoformat()}","data":{data}}}\n'
        )


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
        ScenarioEvent(
            "manifest.line",
            t0 + timedelta(hours=1),
            manifest_line(
                manifest,
                "1",
                hs_code="020130",
                description="Frozen boneless beef",
                containers=[beef],
            ),
        ),
        ScenarioEvent(
            "manifest.line",
            t0 + timedelta(hours=1),
            manifest_line(
                manifest,
                "2",
                hs_code="080610",
                description="Fresh table grapes",
                containers=[grapes],
            ),
        ),
        ScenarioEvent(
            "manifest.line",
            t0 + timedelta(hours=1),
            manifest_line(
                manifest, "3", hs_code="610910", description="Cotton T-shirts", containers=[shirts]
            ),
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
