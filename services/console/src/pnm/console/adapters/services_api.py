"""The services' public APIs, called as the signed-in person (their token is passed on, so
every service checks the same roles as for any other caller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from pnm.console.settings import ConsoleSettings


@dataclass(frozen=True)
class Answer:
    """A service's answer: the status and the body (JSON, or the text of a non-JSON body)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """What a refusal says, for a person: the service's `detail`, whatever its shape."""
        body = self.body
        if isinstance(body, dict) and "detail" in body:
            detail = body["detail"]
            if isinstance(detail, list):
                return "; ".join(
                    f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg', '')}"
                    for d in detail
                    if isinstance(d, dict)
                )
            return str(detail)
        return str(body)[:500]


class ServiceUnreachable(RuntimeError):
    pass


class ServicesApi:
    def __init__(self, settings: ConsoleSettings, token: str) -> None:
        self._settings = settings
        self._token = token

    def _url(self, service: str, path: str) -> str:
        return f"{self._settings.base_url(service)}/{service}{path}"

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {self._token}"}
        if idempotency_key is not None:  # a re-send gets the first answer, changes nothing
            headers["Idempotency-Key"] = idempotency_key
        try:
            async with httpx.AsyncClient(timeout=self._settings.api_timeout_seconds) as client:
                response = await client.request(
                    method, self._url(service, path), params=params, json=body, headers=headers
                )
        except httpx.HTTPError as err:
            raise ServiceUnreachable(f"{service} did not answer: {err}") from err
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        return Answer(response.status_code, payload)

    async def get(self, service: str, path: str, **params: Any) -> Answer:
        clean = {k: v for k, v in params.items() if v is not None}
        return await self.call("GET", service, path, params=clean)

    async def post(
        self, service: str, path: str, body: Any, idempotency_key: str | None = None
    ) -> Answer:
        return await self.call("POST", service, path, body=body, idempotency_key=idempotency_key)
