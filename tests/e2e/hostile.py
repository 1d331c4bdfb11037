"""Hostile input for every write endpoint of the four services, as a stranger would send it.

Each request takes a valid body and replaces one field (every leaf and every list of it, in turn)
by a hostile value, or sends the whole body in a hostile form (wrong content type, truncated,
nested too deep, too large, not UTF-8). The values are written as raw JSON text, so that what
Python's json cannot produce (`1e999`, a lone surrogate escape) is sent too. The promise tested
with it: no 5xx, whatever is sent, and every line that was accepted gets a decision."""

from __future__ import annotations

import asyncio
import copy
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from flows import nothing_left_unanswered
from infra import OFFICER, bearer, eventually

from pnm.shared.contracts.records import ChedType
from pnm.testing.records import arrival, container, manifest_line, prenotification

# Raw JSON texts put in place of one field. Not a closed list: what each one stands for is in
# the issue that asked for it (numbers that are not finite, strings beyond any domain length,
# text PostgreSQL cannot store, dates that overflow when taken to UTC, characters a URL path
# cannot carry, structures nested beyond any record).
HOSTILE_VALUES: tuple[str, ...] = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e308",
    "-1",
    "0",
    "99999999999999999999999999999",
    "true",
    "null",
    "[]",
    "{}",
    '""',
    '" "',
    '"\\ud800"',
    '"a\\u0000b"',
    json.dumps("x" * 3000),
    json.dumps("Y" * 200_000),
    '"0001-01-01T00:00:00+14:00"',
    '"9999-12-31T23:59:59-14:00"',
    '"0001-01-01T00:00:00Z"',
    '"2026-02-30T25:61:00Z"',
    '"2026-06-01T00:00:00"',
    '"../../etc/passwd"',
    '"a/b?c#d%2F e"',
    '"\\u202eEVIL\\u202c"',
    '"\\uff21\\uff22\\uff23\\uff35\\uff11\\uff12\\uff13\\uff14\\uff15\\uff16\\uff17"',
    "[" * 300 + "]" * 300,
    json.dumps(["ABCU1234560"] * 5000),
)

_SENTINEL = "\x01HOSTILE\x01"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    roles: tuple[str, ...]
    body: Callable[[], Any]  # a valid body, fresh ids every call
    accepts_lines: bool = False  # answers with manifest lines it accepted


@dataclass(frozen=True)
class HostileRequest:
    endpoint: str
    label: str
    method: str
    path: str
    headers: dict[str, str]
    content: bytes


@dataclass
class Outcome:
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    accepted_lines: set[tuple[str, str]] = field(default_factory=set)


def _unique() -> str:
    return uuid.uuid4().hex[:10].upper()


def _line_body() -> dict[str, Any]:
    line = manifest_line(
        f"HOSTILE{_unique()}",
        "1",
        hs_code="020130",
        description="Frozen boneless beef",
        containers=[container(random.randrange(1_000_000))],
    )
    return {"lines": [line.model_dump(mode="json")]}


def _manifest_body() -> dict[str, Any]:
    body = _line_body()
    return {**body, "header": {"manifest_id": body["lines"][0]["manifest_id"]}}


def _prenotification_body() -> dict[str, Any]:
    record = prenotification(
        f"CHED.NL.2026.{random.randrange(10**7):07d}",
        ched_type=ChedType.CHED_P,
        cn_code="020130",
        description="Frozen boneless beef",
        containers=[container(random.randrange(1_000_000))],
    )
    return record.model_dump(mode="json")


def _ack_body() -> dict[str, Any]:
    return {
        "instruction_id": str(uuid.uuid4()),
        "terminal": "ECTDELTA",
        "result": "applied",
        "at": datetime.now(UTC).isoformat(),
    }


def endpoints(indicator_set: dict[str, Any]) -> list[Endpoint]:
    """Every POST/PUT of the four services, with the roles that may call it."""
    dmf = ("feed:dmf",)
    feeds = ("feed:client-import", "feed:vgc")
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    def indicator_body() -> dict[str, Any]:
        return {**indicator_set, "version": f"hostile-{_unique()}"}

    return [
        Endpoint("lines", "POST", "/manifest-ingest/lines", dmf, _line_body, accepts_lines=True),
        Endpoint(
            "manifests",
            "POST",
            "/manifest-ingest/manifests",
            dmf,
            _manifest_body,
            accepts_lines=True,
        ),
        Endpoint(
            "arrivals",
            "POST",
            "/manifest-ingest/arrivals",
            dmf,
            lambda: arrival(f"HOSTILE{_unique()}").model_dump(mode="json"),
        ),
        Endpoint(
            "eta",
            "POST",
            "/manifest-ingest/eta",
            dmf,
            lambda: {"manifest_id": f"HOSTILE{_unique()}", "eta": soon},
        ),
        Endpoint(
            "prenotifications",
            "POST",
            "/prenotification/prenotifications",
            feeds,
            _prenotification_body,
        ),
        Endpoint(
            "bulk",
            "POST",
            "/prenotification/prenotifications/bulk",
            feeds,
            lambda: {"records": [_prenotification_body(), _prenotification_body()]},
        ),
        Endpoint(
            "written",
            "POST",
            "/prenotification/written",
            ("nvwa-inspector", "pd-inspector"),
            lambda: {**_prenotification_body(), "system": "written"},
        ),
        Endpoint(
            "emergency",
            "POST",
            "/prenotification/feeds/vgc/emergency",
            ("nvwa-inspector",),
            lambda: {"action": "start", "note": "hostile input test"},
        ),
        Endpoint(
            "certificate",
            "POST",
            "/prenotification/prenotifications/CHED.NL.2026.0000001/certificate",
            ("pd-inspector",),
            lambda: {"received_at": datetime.now(UTC).isoformat()},
        ),
        Endpoint("indicator-sets", "POST", "/matcher/indicator-sets", ("analyst",), indicator_body),
        Endpoint("acks", "POST", "/holds/acks", ("terminal:ECTDELTA",), _ack_body),
        Endpoint(
            "manual-hold",
            "POST",
            "/holds/holds/manual",
            ("customs-prearrival",),
            lambda: {
                "manifest_id": f"HOSTILE{_unique()}",
                "line_id": "1",
                "regime": "vet",
                "terminal": "ECTDELTA",
                "containers": [container(random.randrange(1_000_000))],
                "reason": "hostile input test",
            },
        ),
        # A hold nobody has: the body is checked before the hold is looked up.
        Endpoint(
            "release",
            "POST",
            f"/holds/holds/{uuid.uuid4()}/release",
            ("nvwa-inspector",),
            lambda: {"reason": "hostile input test"},
        ),
        Endpoint(
            "refuse",
            "POST",
            f"/holds/holds/{uuid.uuid4()}/refuse",
            ("pd-inspector",),
            lambda: {"outcome": "destruction", "reason": "hostile input test"},
        ),
    ]


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place a hostile value can go: each leaf, each list and each object."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from _leaf_paths(item, (*path, index))


def _replaced(body: Any, path: tuple[Any, ...], raw: str) -> bytes:
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = _SENTINEL
    text = json.dumps(body).replace(json.dumps(_SENTINEL), raw)
    return text.encode("utf-8", "surrogatepass")


def _raw_forms(body: Any) -> Iterator[tuple[str, dict[str, str], bytes]]:
    """The body as a whole in hostile forms (label, content headers, bytes)."""
    valid = json.dumps(body).encode()
    as_json = {"Content-Type": "application/json"}
    yield "text/plain", {"Content-Type": "text/plain"}, valid
    yield "no content type", {}, valid
    yield "form encoded", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2"
    yield "truncated", as_json, valid[: len(valid) // 2]
    yield "empty", as_json, b""
    yield "not UTF-8", as_json, b'{"a": "\xff\xfe"}'
    yield "UTF-8 BOM", as_json, b"\xef\xbb\xbf" + valid
    yield "nested 1000", as_json, b"[" * 1000 + b"]" * 1000
    yield "nested objects 500", as_json, b'{"a":' * 500 + b"1" + b"}" * 500
    yield "top-level array", as_json, b"[" + valid + b"]"
    yield "top-level string", as_json, b'"hello"'
    yield "duplicate keys", as_json, b'{"a": 1, "a": 2}'
    yield "12 MB", as_json, b'{"padding": "' + b"z" * 12_000_000 + b'"}'


def hostile_requests(endpoint: Endpoint, *, per_endpoint: int, seed: int) -> list[HostileRequest]:
    """One request per (field, hostile value) pair, sampled down to `per_endpoint` with a fixed
    seed (the same cases in every run), the valid body, every hostile form of the whole body, each with the
    endpoint's roles; and the valid body with a token lacking them."""
    rng = random.Random(f"{seed}:{endpoint.name}")
    auth = bearer(*endpoint.roles)
    pairs = [(path, raw) for path in _leaf_paths(endpoint.body()) for raw in HOSTILE_VALUES]
    chosen = rng.sample(pairs, min(per_endpoint, len(pairs)))
    requests = [
        HostileRequest(
            endpoint.name,
            f"{'.'.join(map(str, path))} = {raw[:40]}",
            endpoint.method,
            endpoint.path,
            {**auth, "Content-Type": "application/json"},
            _replaced(endpoint.body(), path, raw),
        )
        for path, raw in chosen
    ]
    requests.append(
        HostileRequest(
            endpoint.name,
            "the valid body",
            endpoint.method,
            endpoint.path,
            {**auth, "Content-Type": "application/json"},
            json.dumps(endpoint.body()).encode(),
        )
    )
    requests += [
        HostileRequest(
            endpoint.name,
            f"body {label}",
            endpoint.method,
            endpoint.path,
            {**auth, **headers},
            content,
        )
        for label, headers, content in _raw_forms(endpoint.body())
    ]
    requests.append(
        HostileRequest(
            endpoint.name,
            "a token without the role",
            endpoint.method,
            endpoint.path,
            {**bearer("customs-prearrival"), "Content-Type": "application/json"},
            json.dumps(endpoint.body()).encode(),
        )
    )
    return requests


def hostile_paths() -> list[HostileRequest]:
    """Path parameters a stranger may write (GET and POST alike)."""
    officer = bearer("customs-prearrival", "nvwa-inspector", "pd-inspector", "feed:vgc")
    values = ["%00", "%ED%A0%80", "x" * 5000, "..%2F..%2Fetc", "%F0%9F%92%A9", "a%20b", "-1"]
    templates = [
        ("GET", "/matcher/decisions/{v}/{v}"),
        ("GET", "/manifest-ingest/manifests/{v}/lines/{v}"),
        ("GET", "/prenotification/prenotifications/{v}"),
        ("GET", "/holds/holds/{v}"),
        ("GET", "/holds/holds/{v}/fee-estimate"),
        ("POST", "/holds/holds/{v}/release"),
        ("POST", "/holds/holds/{v}/refuse"),
        ("POST", "/holds/holds/{v}/block"),
        ("POST", "/prenotification/prenotifications/{v}/certificate"),
        ("POST", "/prenotification/rejections/{v}/resubmit"),
        ("POST", "/matcher/indicator-sets/{v}/activate"),
    ]
    return [
        HostileRequest(
            "paths",
            f"{method} {template} v={value[:20]}",
            method,
            template.replace("{v}", value),
            {**officer, "Content-Type": "application/json"},
            b"{}",
        )
        for method, template in templates
        for value in values
    ]


async def send_all(
    client: httpx.AsyncClient, requests: list[HostileRequest], *, concurrency: int = 8
) -> Outcome:
    outcome = Outcome()
    gate = asyncio.Semaphore(concurrency)

    async def send(request: HostileRequest) -> None:
        async with gate:
            try:
                response = await client.request(
                    request.method, request.path, headers=request.headers, content=request.content
                )
            except httpx.TransportError as err:  # no answer at all is worse than a 5xx
                outcome.requests += 1
                outcome.server_errors.append(f"{request.endpoint}: {request.label} -> {err!r}")
                return
        outcome.requests += 1
        outcome.by_status[response.status_code] = outcome.by_status.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            outcome.server_errors.append(
                f"{request.endpoint}: {request.label} -> {response.status_code} "
                f"{response.text[:300]}"
            )
        elif response.status_code == 202 and request.path.startswith("/manifest-ingest/"):
            outcome.accepted_lines.update(_accepted_lines(request, response))

    await asyncio.gather(*(send(r) for r in requests))
    return outcome


def _accepted_lines(request: HostileRequest, response: httpx.Response) -> set[tuple[str, str]]:
    """The lines a 202 accepted: those the body carried less those the response refused."""
    try:
        sent = json.loads(request.content.decode("utf-8", "surrogatepass"))
        lines = sent.get("lines") if isinstance(sent, dict) else None
    except ValueError:
        return set()
    if not isinstance(lines, list):
        return set()
    refused = {
        r.get("row_number")
        for r in response.json().get("results", [])
        if r["outcome"] == "rejected"
    }
    return {
        (line["manifest_id"], line["line_id"])
        for row_number, line in enumerate(lines)
        if row_number not in refused
        and isinstance(line, dict)
        and isinstance(line.get("manifest_id"), str)
        and isinstance(line.get("line_id"), str)
    }


async def _active_indicator_set(client: httpx.AsyncClient) -> dict[str, Any]:
    sets = (await client.get("/matcher/indicator-sets", headers=bearer(*OFFICER))).json()
    active = next(s for s in sets if s.get("active"))
    response = await client.get(
        f"/matcher/indicator-sets/{active['version']}", headers=bearer(*OFFICER)
    )
    document: dict[str, Any] = response.json()
    return document


async def refused_cleanly_and_lines_decided(
    client: httpx.AsyncClient, *, per_endpoint: int, with_paths: bool = True
) -> Outcome:
    """Send the hostile requests; no 5xx (nor a dropped connection), every manifest line that
    was accepted has a decision that can be fetched by its URL, and the reconciliation shows no
    gap (the system runs with PNM_RECONCILIATION_GRACE_SECONDS=0)."""
    indicator_set = await _active_indicator_set(client)
    requests = [
        request
        for endpoint in endpoints(indicator_set)
        for request in hostile_requests(endpoint, per_endpoint=per_endpoint, seed=12)
    ]
    if with_paths:
        requests += hostile_paths()
    outcome = await send_all(client, requests)
    print(
        f"\nhostile input: {outcome.requests} requests, "
        f"{len(outcome.server_errors)} with 5xx or no answer, "
        f"by status {sorted(outcome.by_status.items())}, "
        f"{len(outcome.accepted_lines)} lines accepted"
    )
    assert outcome.requests == len(requests)
    assert not outcome.server_errors, "\n".join(outcome.server_errors[:40])
    assert outcome.accepted_lines, "no valid line was among the requests"

    async def undecided() -> list[tuple[str, str]]:
        missing = []
        for manifest_id, line_id in sorted(outcome.accepted_lines):
            response = await client.get(
                f"/matcher/decisions/{manifest_id}/{line_id}", headers=bearer(*OFFICER)
            )
            if response.status_code != 200:
                missing.append((manifest_id, line_id))
        return missing

    async def all_decided() -> bool:
        return not await undecided()

    try:
        await eventually(all_decided, timeout=60, interval=1)
    except AssertionError:
        raise AssertionError(f"accepted but undecided: {(await undecided())[:20]}") from None
    # And the services' own account agrees: no line undecided, no decision without its hold.
    await nothing_left_unanswered(client)
    return outcome
