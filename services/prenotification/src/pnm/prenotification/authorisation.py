"""Who may write which pre-notification: the feeds their own systems' records, the
authorities the written entries of their CHED types, an admin anything; and who may correct a
refused input. Each refusal is an intake issue (rule `auth.role` or `auth.channel`), answered as
403 by the API."""

from __future__ import annotations

from typing import Any, get_args

from pnm.prenotification import feeds, handlers
from pnm.shared.access import Requires
from pnm.shared.auth import Principal
from pnm.shared.competence import role_of_ched
from pnm.shared.contracts.records import PreNotification
from pnm.shared.intake.model import Issue
from pnm.shared.roles import INSPECTORS, Role, feed_role

AUTHORITY_WRITERS = (*INSPECTORS, Role.ADMIN)
# Who may declare an emergency procedure for a feed: its competent authority
# (docs/sources.md, "Emergency procedures (seed 000)").
FEED_AUTHORITY = {
    "client-import": (Role.PD_INSPECTOR, Role.ADMIN),
    "vgc": (Role.NVWA_INSPECTOR, Role.ADMIN),
    "traces": AUTHORITY_WRITERS,
    "written": AUTHORITY_WRITERS,
}
FEED_SYSTEMS = tuple(s for s in get_args(feeds.System) if s != "written")
FEED_WRITERS = (*(feed_role(s) for s in FEED_SYSTEMS), Role.ADMIN)


def feed_authorisation(principal: Principal) -> handlers.Authorise:
    def authorise(record: PreNotification) -> Issue | None:
        if record.system == "written":
            return Issue(
                "system",
                record.system,
                "auth.channel",
                "written pre-notifications are entered by an authority through /written",
                "error",
            )
        if principal.has(feed_role(record.system)) or principal.has(Role.ADMIN):
            return None
        return Issue(
            "system",
            record.system,
            "auth.role",
            f"role feed:{record.system} required to write {record.system} records; "
            f"token has roles [{', '.join(sorted(principal.roles))}]",
            "error",
        )

    return authorise


def written_authorisation(principal: Principal) -> handlers.Authorise:
    def authorise(record: PreNotification) -> Issue | None:
        if record.system != "written":
            return Issue(
                "system",
                record.system,
                "auth.channel",
                "a written entry has system 'written'",
                "error",
            )
        needed = role_of_ched(record.ched_type)
        if principal.has(needed) or principal.has(Role.ADMIN):
            return None
        return Issue(
            "ched_type",
            record.ched_type.value,
            "auth.role",
            f"only role {needed} enters {record.ched_type.value} pre-notifications; "
            f"token has roles [{', '.join(sorted(principal.roles))}]",
            "error",
        )

    return authorise


def rejection_origin(channel: str, payload: Any) -> str | None:
    """The system a refused input came from: a written entry, the feed its record names, or
    None when it names none (junk)."""
    system = payload.get("system") if isinstance(payload, dict) else None
    if channel == "written" or system == "written":
        return "written"
    return system if system in FEED_SYSTEMS else None


def resubmitters(origin: str | None) -> Requires:
    """Who may correct a refused input: its own feed, the authorities for a written entry, and
    an admin; an input that names no system only an admin (fail closed)."""
    if origin == "written":
        return Requires(*AUTHORITY_WRITERS)
    return Requires(feed_role(origin), Role.ADMIN) if origin else Requires(Role.ADMIN)


def same_system(
    rejection_id: int, origin: str | None, authorise: handlers.Authorise
) -> handlers.Authorise:
    """A correction is a record of the system the refused input came from, not another one."""

    def check(record: PreNotification) -> Issue | None:
        if origin is not None and record.system != origin:
            return Issue(
                "system",
                record.system,
                "auth.channel",
                f"rejection {rejection_id} is of a {origin} record: its correction must be one",
                "error",
            )
        return authorise(record)

    return check
