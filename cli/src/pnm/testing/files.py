"""Export files as the feeds write them, for the tests and the intake benchmark: the inverse of
what the intake services read. Production never writes these files; it only reads them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pnm.prenotification.adapters.files import CSV_COLUMNS
from pnm.shared.contracts.records import PreNotification


def prenotification_csv(records: Iterable[PreNotification]) -> str:
    """Records as a Client Import / VGC CSV export (one commodity per row), in the columns the
    pre-notification service reads (`CSV_COLUMNS`, its published file format)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for r in records:
        for commodity in r.commodities:
            writer.writerow(
                {
                    "reference": r.reference,
                    "system": r.system,
                    "ched_type": r.ched_type.value,
                    "version": r.version,
                    "status": r.status.value,
                    "submitted_at": r.submitted_at.isoformat(),
                    "bcp": r.bcp,
                    "expected_arrival": r.expected_arrival.isoformat(),
                    "mode": r.mode.value if r.mode else "",
                    "vessel_imo": r.vessel_imo or "",
                    "vessel_name": r.vessel_name or "",
                    "flight_number": r.flight_number or "",
                    "transport_document": r.transport_document or "",
                    "containers": " ".join(r.containers),
                    "consignor_name": r.consignor.name,
                    "consignor_country": r.consignor.country,
                    "consignor_eori": r.consignor.eori or "",
                    "importer_name": r.importer.name,
                    "importer_country": r.importer.country,
                    "importer_eori": r.importer.eori or "",
                    "country_of_origin": r.country_of_origin,
                    "cn_code": commodity.cn_code,
                    "description": commodity.description,
                    "net_mass_kg": commodity.net_mass_kg,
                    "packages": "" if commodity.packages is None else commodity.packages,
                    "species": commodity.species or "",
                    "control_regime": r.control.regime,
                    "inspection_point": r.control.inspection_point or "",
                }
            )
    return out.getvalue()
