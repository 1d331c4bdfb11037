"""The reference data shipped with the service (`pnm.prenotification.data`, and the project's
BCP table), read once."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from pnm.prenotification.domain.reference_data import ReferenceData, parse_reference_data
from pnm.shared.bcp.shipped import bcp_table

VERSION = "v1"
CN_FILE = f"ched_cn_{VERSION}.csv"


@cache
def shipped_reference_data() -> ReferenceData:
    data = files("pnm.prenotification.data")
    return parse_reference_data(
        VERSION,
        data.joinpath(CN_FILE).read_text(encoding="utf-8"),
        bcp_table(),
    )
