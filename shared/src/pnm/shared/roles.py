"""The roles a token may carry (docs/access.md, "Roles"), named once for every service.

A role is a plain string in the token; `Role` names the fixed ones, and the two families that
carry a code (`feed:<system>`, `terminal:<code>`) are built by the functions below. "admin"
grants nothing implicitly: a route that admits admins lists `Role.ADMIN` among its roles."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMS_PREARRIVAL = "customs-prearrival"
    PD_INSPECTOR = "pd-inspector"
    NVWA_INSPECTOR = "nvwa-inspector"
    ANALYST = "analyst"
    ADMIN = "admin"


# The inspectors of the two competent authorities (which speaks for which: pnm.shared.competence).
INSPECTORS = (Role.PD_INSPECTOR, Role.NVWA_INSPECTOR)
# The officials who may read decisions, pre-notifications and holds.
OFFICIALS = (Role.CUSTOMS_PREARRIVAL, *INSPECTORS, Role.ANALYST, Role.ADMIN)

FEED_PREFIX = "feed:"
TERMINAL_PREFIX = "terminal:"
ANY_TERMINAL = f"{TERMINAL_PREFIX}*"  # `Requires` admits any role with the prefix


def feed_role(system: str) -> str:
    """The role of a feed's system: `feed:client-import`, `feed:dmf`, ..."""
    return f"{FEED_PREFIX}{system}"


def terminal_role(code: str) -> str:
    """The role of a terminal's system, which acknowledges the instructions sent to it."""
    return f"{TERMINAL_PREFIX}{code}"
