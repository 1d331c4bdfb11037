"""Builders of realistic canonical records: a manifest line, a pre-notification, an arrival, a
container number, and the ETA they share.

For the tests, the demo (`pnm standalone --demo`), the benchmark (`pnm bench`) and the scenario
generator; never for the production services, which must not import `pnm.testing`
(tests/unit/shared/test_floor_plan.py fails when one does). Each builder gives a record that
intake accepts; a test names only what its case is about and takes the rest as given here.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from pnm.shared.calendar import working_days_before
from pnm.shared.contracts.limits import GOODS_MAX
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


# The consignee of every line and the importer of every notification, unless a case says otherwise.
IMPORTER = Party(name="Van der Berg Import B.V.", country="NL", eori="NL111222333")


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
    packages: int = 1200,
    document_references: list[str] | None = None,
    consignee: Party = IMPORTER,
    port_of_discharge: str = "NLRTM",
) -> ManifestLine:
    """One line of goods in `containers` on the EMMA MAERSK to Rotterdam; `document_references`
    are the CHEDs the line quotes (none by default)."""
    return ManifestLine(
        manifest_id=manifest_id,
        line_id=line_id,
        version=version,
        withdrawn=withdrawn,
        mode=Mode.SEA,
        vessel_imo="9321483",
        vessel_name="EMMA MAERSK",
        voyage="248W",
        port_of_discharge=port_of_discharge,
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
        consignee=consignee,
        country_of_origin=origin,
        place_of_loading="ARBUE",
        document_references=document_references or [],
        goods=[
            GoodsItem(
                item=1,
                hs_code=hs_code,
                description=description,
                gross_mass_kg=gross_mass_kg,
                packages=packages,
                country_of_origin=origin,
            )
        ],
    )


def largest_line(line: ManifestLine, item: GoodsItem) -> ManifestLine:
    """`line` with as many goods items as a line may have (GOODS_MAX), each `item` numbered 1,
    2, ...: the line whose decision must still fit in one broker message."""
    return line.model_copy(
        update={"goods": [item.model_copy(update={"item": n}) for n in range(1, GOODS_MAX + 1)]}
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
    packages: int | None = None,
    importer: Party = IMPORTER,
    submitted_at: datetime | None = None,
) -> PreNotification:
    """Submitted three days ahead (or now, if that lies in the future: intake refuses notices
    from the future) unless `submitted_at` says when; 16.5 t net per container, beside the
    manifest's 18 t gross, unless `net_mass_kg` is given; `packages` counted only when given."""
    return PreNotification(
        reference=reference,
        system="client-import" if ched_type is ChedType.CHED_PP else "vgc",
        ched_type=ched_type,
        version=version,
        status=status,
        submitted_at=submitted_at
        or min(expected_arrival - timedelta(days=3), STARTED - timedelta(minutes=5)),
        bcp="NLRTM",
        expected_arrival=expected_arrival,
        mode=Mode.SEA,
        vessel_imo="9321483",
        transport_document=transport_document,
        containers=containers,
        consignor=Party(name="Frigorifico del Sur S.A.", country=origin),
        importer=importer,
        country_of_origin=origin,
        commodities=[
            Commodity(
                cn_code=cn_code,
                description=description,
                net_mass_kg=16_500.0 * max(1, len(containers))
                if net_mass_kg is None
                else net_mass_kg,
                packages=packages,
            )
        ],
        control=Control(regime="full"),
    )


def arrival(
    manifest_id: str, at: datetime = BASE_ETA, containers: list[str] | None = None
) -> Arrival:
    return Arrival(manifest_id=manifest_id, arrived_at=at, containers=containers)
