"""DMF manifest export files: JSON Lines (one manifest line per line) or CSV (one goods item
per row; the rows of one manifest_id, line_id and version make one line)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pnm.shared.contracts.limits import MANIFEST_RECORDS_MAX
from pnm.shared.files import CsvRow, Row, csv_list, csv_party, read_export, read_grouped_csv

# Columns that are fields of the line as they are.
LINE_FIELDS = (
    "manifest_id",
    "line_id",
    "version",
    "withdrawn",
    "mode",
    "vessel_imo",
    "vessel_name",
    "voyage",
    "flight_number",
    "port_of_discharge",
    "terminal",
    "eta",
    "procedure",
    "country_of_origin",
    "place_of_loading",
)
CSV_COLUMNS = (
    *LINE_FIELDS,
    "transport_document_type",
    "transport_document_number",
    "containers",  # separated by spaces or semicolons
    "document_references",  # separated by spaces or semicolons
    "consignor_name",
    "consignor_country",
    "consignor_eori",
    "consignee_name",
    "consignee_country",
    "consignee_eori",
    "item",
    "hs_code",
    "description",
    "gross_mass_kg",
    "packages",
    "item_country_of_origin",
)
REQUIRED_CSV_COLUMNS = frozenset(
    (
        "manifest_id",
        "line_id",
        "version",
        "mode",
        "port_of_discharge",
        "terminal",
        "eta",
        "procedure",
        "transport_document_type",
        "transport_document_number",
        "consignor_name",
        "consignor_country",
        "consignee_name",
        "consignee_country",
        "item",
        "description",
        "gross_mass_kg",
    )
)


def _goods(row: CsvRow) -> dict[str, Any]:
    return {
        "item": row.get("item"),
        "hs_code": row.get("hs_code"),
        "description": row.get("description") or "",
        "gross_mass_kg": row.get("gross_mass_kg"),
        "packages": row.get("packages"),
        **(
            {"country_of_origin": row["item_country_of_origin"]}
            if row.get("item_country_of_origin")
            else {}
        ),
    }


def _line(row: CsvRow, goods: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **{name: row[name] for name in LINE_FIELDS if row.get(name) is not None},
        "transport_document": {
            "type": row.get("transport_document_type"),
            "number": row.get("transport_document_number"),
        },
        "containers": csv_list(row.get("containers")),
        "document_references": csv_list(row.get("document_references")),
        "consignor": csv_party(row, "consignor"),
        "consignee": csv_party(row, "consignee"),
        "goods": goods,
    }


def parse_csv(text: str) -> Iterator[Row]:
    """One manifest line per manifest_id, line_id and version; one goods item per row."""
    return read_grouped_csv(
        text, REQUIRED_CSV_COLUMNS, ("manifest_id", "line_id", "version"), "goods", _goods, _line
    )


def parse_file(text: str, fmt: str) -> list[Row]:
    return read_export(text, fmt, parse_csv, MANIFEST_RECORDS_MAX)
