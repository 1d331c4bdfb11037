"""The end-to-end cases, run the same way against the distributed and the standalone system.

Only public interfaces: the services' REST APIs, and for block instructions whatever a
terminal uses in that mode (a plain Kafka client, or the holds API)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from infra import DMF, FEEDS, OFFICER, TERMINAL, bearer, eventually

from pnm.shared.contracts.records import ChedType, ManifestLine
from pnm.testing.records import arrival, container, manifest_line, prenotification

# A terminal's view: fetch the block instructions it has received so far.
Instructions = Callable[[], Awaitable[list[dict[str, Any]]]]
# How the terminal answers: (client, instruction) -> None
Acknowledge = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Goods:
    hs_code: str
    description: str
    ched_type: ChedType
    authority: str


BEEF = Goods("020130", "Frozen boneless beef", ChedType.CHED_P, "NVWA")
GRAPES = Goods("080610", "Fresh table grapes", ChedType.CHED_PP, "PD")

_serial = iter(range(700_000 + uuid.uuid4().int % 200_000, 10**9))


async def rest_acknowledge(client: httpx.AsyncClient, instruction: dict[str, Any]) -> None:
    response = await client.post(
        "/holds/acks",
        headers=bearer(*TERMINAL),
        json={
            "instruction_id": instruction["instruction_id"],
            "terminal": instruction["terminal"],
            "result": "applied",
            "at": datetime.now(UTC).isoformat(),
        },
    )
    assert response.status_code == 200, response.text


def first(
    instructions: Instructions, manifest_id: str, action: str
) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """A probe: the terminal's first `action` instruction for line 1 of the manifest."""

    async def probe() -> dict[str, Any] | None:
        return next(
            (
                i
                for i in await instructions()
                if (i["manifest_id"], i["line_id"], i["action"]) == (manifest_id, "1", action)
            ),
            None,
        )

    return probe


async def declare(client: httpx.AsyncClient, line: ManifestLine) -> None:
    """DMF sends a manifest line."""
    response = await client.post(
        "/manifest-ingest/lines",
        json={"lines": [line.model_dump(mode="json")]},
        headers=bearer(*DMF),
    )
    assert response.status_code == 202, response.text


async def arrive(client: httpx.AsyncClient, manifest_id: str, at: datetime | None = None) -> None:
    """DMF reports the vessel's arrival (by default at its ETA)."""
    arrived = arrival(manifest_id) if at is None else arrival(manifest_id, at)
    response = await client.post(
        "/manifest-ingest/arrivals",
        json=arrived.model_dump(mode="json"),
        headers=bearer(*DMF),
    )
    assert response.status_code == 202, response.text


async def decision_of(
    client: httpx.AsyncClient, manifest_id: str, line_id: str
) -> dict[str, Any] | None:
    response = await client.get(
        f"/matcher/decisions/{manifest_id}/{line_id}", headers=bearer(*OFFICER)
    )
    return response.json() if response.status_code == 200 else None


async def unnotified_line_is_blocked_and_acknowledged(
    client: httpx.AsyncClient,
    goods: Goods,
    instructions: Instructions,
    acknowledge: Acknowledge,
    box: str | None = None,
    arrived_at: datetime | None = None,
) -> str:
    """Returns the manifest id."""
    manifest_id = f"E2E-{uuid.uuid4().hex[:8]}"
    box = box or container(next(_serial))
    line = manifest_line(
        manifest_id, "1", hs_code=goods.hs_code, description=goods.description, containers=[box]
    )
    await declare(client, line)

    async def awaiting() -> dict[str, Any] | None:
        d = await decision_of(client, manifest_id, "1")
        return d if d and d["status"] == "awaiting_notification" else None

    await eventually(awaiting)
    await arrive(client, manifest_id, arrived_at)

    instruction = await eventually(first(instructions, manifest_id, "block"))
    assert instruction["action"] == "block"
    assert instruction["containers"] == [box]
    assert instruction["authority"] == goods.authority
    assert instruction["terminal"] == "ECTDELTA"
    decided = await decision_of(client, manifest_id, "1")
    assert decided is not None and decided["status"] == "unnotified"

    await acknowledge(client, instruction)

    async def acknowledged() -> list[dict[str, Any]] | None:
        holds = (
            await client.get(
                "/holds/holds", params={"manifest_id": manifest_id}, headers=bearer(*OFFICER)
            )
        ).json()
        return holds if holds and holds[0]["state"] == "acknowledged" else None

    holds = await eventually(acknowledged)
    assert len(holds) == 1
    assert holds[0]["authority"] == goods.authority
    return manifest_id


AUTHORITY_ROLE = {"NVWA": "nvwa-inspector", "PD": "pd-inspector"}


async def hold_of(client: httpx.AsyncClient, manifest_id: str) -> dict[str, Any]:
    response = await client.get(
        "/holds/holds", params={"manifest_id": manifest_id}, headers=bearer(*OFFICER)
    )
    [held] = response.json()
    return dict(held)


async def late_notification_is_released_by_the_authority_only(
    client: httpx.AsyncClient, goods: Goods, instructions: Instructions, acknowledge: Acknowledge
) -> None:
    """A hold stays until its authority releases it: the pre-notification that comes after
    the block only asks the authority (release requested), another authority cannot release,
    and the terminal lifts the block only on the authority's release instruction."""
    box = container(next(_serial))
    # The vessel is in before its ETA, and the party pre-notifies only after that.
    manifest_id = await unnotified_line_is_blocked_and_acknowledged(
        client, goods, instructions, acknowledge, box, arrived_at=datetime.now(UTC)
    )
    reference = f"{goods.ched_type.value.replace('-', '')}.NL.2026.{next(_serial) % 10**7:07d}"
    notice = prenotification(
        reference,
        ched_type=goods.ched_type,
        cn_code=goods.hs_code,
        description=goods.description,
        containers=[box],
        submitted_at=datetime.now(UTC),
    )
    response = await client.post(
        "/prenotification/prenotifications",
        json=notice.model_dump(mode="json"),
        headers=bearer(*FEEDS),
    )
    assert response.status_code == 201, response.text

    async def release_requested() -> dict[str, Any] | None:
        held = await hold_of(client, manifest_id)
        return held if held["state"] == "release_requested" else None

    held = await eventually(release_requested)
    decided = await decision_of(client, manifest_id, "1")
    assert decided is not None and decided["status"] == "notified_late", decided
    assert held["release_reason"].endswith("notified_late")
    assert [i["action"] for i in held["instructions"]] == ["block"]  # the block stays

    other = "pd-inspector" if goods.authority == "NVWA" else "nvwa-inspector"
    for role in (other, "customs-prearrival", "admin"):
        refused = await client.post(
            f"/holds/holds/{held['hold_id']}/release",
            json={"reason": "not mine to give"},
            headers=bearer(role),
        )
        assert refused.status_code == 403, refused.text
    released = await client.post(
        f"/holds/holds/{held['hold_id']}/release",
        json={"reason": f"{reference} checked"},
        headers=bearer(AUTHORITY_ROLE[goods.authority], subject="inspector-1"),
    )
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "release_instructed"

    lift = await eventually(first(instructions, manifest_id, "release"))
    assert lift["sequence"] == 2 and lift["containers"] == [box]
    await acknowledge(client, lift)

    async def released_at_the_terminal() -> bool:
        return bool((await hold_of(client, manifest_id))["state"] == "released")

    await eventually(released_at_the_terminal)


async def notified_line_is_not_blocked(
    client: httpx.AsyncClient, goods: Goods, instructions: Instructions
) -> None:
    manifest_id = f"E2E-{uuid.uuid4().hex[:8]}"
    box = container(next(_serial))
    reference = f"{goods.ched_type.value.replace('-', '')}.NL.2026.{next(_serial) % 10**7:07d}"
    notice = prenotification(
        reference,
        ched_type=goods.ched_type,
        cn_code=goods.hs_code,
        description=goods.description,
        containers=[box],
    )
    response = await client.post(
        "/prenotification/prenotifications",
        json=notice.model_dump(mode="json"),
        headers=bearer(*FEEDS),
    )
    assert response.status_code == 201, response.text
    line = manifest_line(
        manifest_id, "1", hs_code=goods.hs_code, description=goods.description, containers=[box]
    )
    await declare(client, line)

    async def notified() -> bool:
        d = await decision_of(client, manifest_id, "1")
        return bool(d and d["status"] == "notified")

    await eventually(notified)  # the pre-notification came days before the ship
    await arrive(client, manifest_id)

    # A control line on the same manifest that nobody notified: once its block is out, the holds
    # service has seen this arrival's decisions, and the notified line must have none.
    control = manifest_line(
        manifest_id,
        "2",
        hs_code=goods.hs_code,
        description=goods.description,
        containers=[container(next(_serial))],
    )
    await declare(client, control)

    async def control_blocked() -> bool:
        return any(
            i["manifest_id"] == manifest_id and i["line_id"] == "2" for i in await instructions()
        )

    await eventually(control_blocked)
    decided = await decision_of(client, manifest_id, "1")
    assert decided is not None
    assert decided["status"] == "notified"
    assert decided["references"] == [reference]
    assert not [
        i for i in await instructions() if i["manifest_id"] == manifest_id and i["line_id"] == "1"
    ]
    holds = (
        await client.get(
            "/holds/holds",
            params={"manifest_id": manifest_id, "line_id": "1"},
            headers=bearer(*OFFICER),
        )
    ).json()
    assert holds == []


async def nothing_left_unanswered(client: httpx.AsyncClient) -> None:
    """Every accepted line has a decision and every decision needing a hold has one (run with
    PNM_RECONCILIATION_GRACE_SECONDS=0: anything still in flight is a gap until it settles)."""

    async def gaps() -> dict[str, dict[str, int]]:
        found = {}
        for service in ("matcher", "holds"):
            response = await client.get(f"/{service}/reconciliation", headers=bearer(*OFFICER))
            assert response.status_code == 200, response.text
            found[service] = response.json()["gaps"]
        return found

    async def settled() -> bool:
        return all(n == 0 for counts in (await gaps()).values() for n in counts.values())

    await eventually(settled)
