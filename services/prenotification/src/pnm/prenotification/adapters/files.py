"""Export files from Client Import and VGC: JSON Lines (one canonical record per line) or CSV
(one commodity per row; the rows of one reference and version make one record).

A row that cannot be read still becomes a submission, carrying its raw text, so that it is
refused with its row number and kept like any other bad input: a bad row never blocks the good
ones and is never lost."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from pnm.shared.contracts.limits import PRENOTIFICATION_FILE_RECORDS_MAX
from pnm.shared.contracts.records import PreNotification
from pnm.shared.files import CsvRow, Row, csv_list, csv_party, read_export, read_grouped_csv

# Columns that are fields of the record as they are.
RECORD_FIELDS = (
    "reference",
    "system",
    "ched_type",
    "version",
    "status",
    "submitted_at",
    "bcp",
    "expected_arrival",
    "mode",
    "vessel_imo",
    "vessel_name",
    "flight_number",
    "transport_document",
    "country_of_origin",
)
CSV_COLUMNS = (
    *RECORD_FIELDS[:-1],
    "containers",  # separated by spaces or semicolons
    "consignor_name",
    "consignor_country",
    "consignor_eori",
    "importer_name",
    "importer_country",
    "importer_eori",
    "country_of_origin",
    "cn_code",
    "description",
    "net_mass_kg",
    "packages",
    "species",
    "control_regime",
    "inspection_point",
)
REQUIRED_CSV_COLUMNS = frozenset(CSV_COLUMNS) - {
    "mode",
    "vessel_imo",
    "vessel_name",
    "flight_number",
    "transport_document",
    "consignor_eori",
    "importer_eori",
    "packages",
    "species",
    "inspection_point",
}


def _commodity(row: CsvRow) -> dict[str, Any]:
    return {
        "cn_code": row.get("cn_code"),
        "description": row.get("description") or "",
        "net_mass_kg": row.get("net_mass_kg"),
        **({"packages": row["packages"]} if row.get("packages") else {}),
        **({"species": row["species"]} if row.get("species") else {}),
    }


def _record(row: CsvRow, commodities: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **{name: row[name] for name in RECORD_FIELDS if row.get(name) is not None},
        "containers": csv_list(row.get("containers")),
        "consignor": csv_party(row, "consignor"),
        "importer": csv_party(row, "importer"),
        "commodities": commodities,
        "control": {
            "regime": row.get("control_regime"),
            **(
                {"inspection_point": row["inspection_point"]} if row.get("inspection_point") else {}
            ),
        },
    }


def parse_csv(text: str) -> Iterator[Row]:
    """One record per reference and version; one commodity per row."""
    return read_grouped_csv(
        text, REQUIRED_CSV_COLUMNS, ("reference", "version"), "commodities", _commodity, _record
    )


def parse_file(text: str, fmt: str) -> list[Row]:
    return read_export(text, fmt, parse_csv, PRENOTIFICATION_FILE_RECORDS_MAX)


def write_csv(records: Iterable[PreNotification]) -> str:
    """The CSV export format (one commodity per row), as read by `parse_csv`."""
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
