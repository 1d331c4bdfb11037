"""The BCP table shipped with the project (`pnm/shared/data/border_control_posts_<version>.csv`),
read once per version. A new version is a new file; the old ones stay, so that what was decided
with them can be explained."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pnm.shared.bcp.table import BcpTable, BcpTableError, parse_bcp_table

SHIPPED_TABLE_VERSION = "v1"
DATA = Path(__file__).parent.parent / "data"


def table_file(version: str) -> Path:
    return DATA / f"border_control_posts_{version}.csv"


def known_versions() -> list[str]:
    prefix = "border_control_posts_"
    return sorted(p.stem.removeprefix(prefix) for p in DATA.glob(f"{prefix}*.csv"))


def bcp_table(version: str = SHIPPED_TABLE_VERSION) -> BcpTable:
    return _read(version)


@cache
def _read(version: str) -> BcpTable:
    if version not in known_versions():
        raise BcpTableError(f"no BCP table {version!r}; known: {', '.join(known_versions())}")
    return parse_bcp_table(version, table_file(version).read_text(encoding="utf-8"))
