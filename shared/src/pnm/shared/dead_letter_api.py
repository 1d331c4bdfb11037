"""The admin API over a service's dead letters (role `admin`): list, show, redrive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from pnm.shared.access import AuthoriseFirst, Requires
from pnm.shared.auth import Principal
from pnm.shared.http import AUTH_RESPONSES, NOT_FOUND, DomainError
from pnm.shared.messaging.deadletters import CannotRedrive, DeadLetters, UnknownDeadLetter
from pnm.shared.roles import Role

DeadLetterId = Annotated[
    str, Path(min_length=1, max_length=300, description="`table:<n>` or `<topic>.dlq:<p>:<o>`")
]
# Checked before the path or query is read (AuthoriseFirst).
Admin = Annotated[Principal, Depends(Requires(Role.ADMIN))]


def dead_letter_router(dead_letters: DeadLetters) -> APIRouter:
    router = APIRouter(prefix="/admin/dead-letters", tags=["admin"], route_class=AuthoriseFirst)

    @router.get("", responses=AUTH_RESPONSES)
    async def list_dead_letters(
        _caller: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        """The messages this service's consumer could not apply, oldest first, with their
        origin (consumer, topic, partition, offset), error and attempts."""
        found = await dead_letters.entries(limit)
        return {"dead_letters": [d.summary() for d in found]}

    @router.get("/{dead_letter_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
    async def show_dead_letter(dead_letter_id: DeadLetterId, _caller: Admin) -> dict[str, Any]:
        """One dead letter with its message (JSON, or base64 when it is not JSON)."""
        try:
            return (await dead_letters.get(dead_letter_id)).detail()
        except UnknownDeadLetter as err:
            raise DomainError(404, str(err)) from err

    @router.post("/{dead_letter_id}/redrive", responses={**AUTH_RESPONSES, **NOT_FOUND})
    async def redrive_dead_letter(dead_letter_id: DeadLetterId, caller: Admin) -> dict[str, Any]:
        """Apply the message again through this service's consumer, once: a second redrive
        applies nothing (`redriven: false`) and shows when it was re-driven. What still fails
        is decided or dead-lettered again, as any message."""
        try:
            found, now = await dead_letters.redrive(dead_letter_id, caller.subject)
        except UnknownDeadLetter as err:
            raise DomainError(404, str(err)) from err
        except CannotRedrive as err:
            raise DomainError(409, str(err)) from err
        return {**found.summary(), "redriven": now}

    return router
