"""The inspection tariff in force: shipped data (`pnm/holds/data/kcb_tariffs_2024.json`), read
and validated once. A malformed file stops the service at start with the file and the rule
it breaks, rather than estimating from a half-read tariff."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import ValidationError

from pnm.holds.domain.tariff import Tariff

TARIFF_FILE = "kcb_tariffs_2024.json"


class TariffFileError(RuntimeError):
    pass


def parse_tariff(text: str, name: str) -> Tariff:
    try:
        return Tariff.model_validate_json(text)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in err.errors()
        )
        raise TariffFileError(f"tariff file {name} is malformed: {problems}") from err


@cache
def current_tariff() -> Tariff:
    text = resources.files("pnm.holds.data").joinpath(TARIFF_FILE).read_text("utf-8")
    return parse_tariff(text, TARIFF_FILE)
