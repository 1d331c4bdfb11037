"""Run services as separate `pnm serve` processes (distributed mode on one machine): used by
the benchmark and the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from pnm.cli.postgres import free_port


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    log: IO[str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text()


READY_WITHIN = 60.0


class ServiceProcesses:
    """`with ServiceProcesses(names, env, log_dir) as procs:` starts one process per service;
    leaving the block sends SIGTERM and waits for the graceful shutdown. `matcher#2` is a
    second instance of the matcher (same consumer group, its own port). With `static_members`
    each process joins its consumer group as a static member named after it (KIP-345)."""

    def __init__(
        self,
        names: Iterable[str],
        env: dict[str, str],
        log_dir: Path,
        *,
        static_members: bool = False,
    ) -> None:
        self._names = list(names)
        self._env = {**os.environ, **env}
        self._log_dir = log_dir
        self._static_members = static_members
        self.services: dict[str, ServiceProcess] = {}

    def __enter__(self) -> ServiceProcesses:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        for name in self._names:
            self.services[name] = self._start(name, free_port(), "w")
        return self

    def _start(self, name: str, port: int, mode: str) -> ServiceProcess:
        log_path = self._log_dir / f"{name}.log"
        log = open(log_path, mode)  # noqa: SIM115 (closed by __exit__ or kill)
        service = name.split("#", 1)[0]
        env = dict(self._env)
        if self._static_members:
            prefix = "PNM_" + service.upper().replace("-", "_")
            env[f"{prefix}_CONSUMER_INSTANCE_ID"] = name
        process = subprocess.Popen(
            [sys.executable, "-m", "pnm.cli.main", "serve", service, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return ServiceProcess(name, port, log_path, process, log)

    def kill(self, name: str) -> None:
        """kill -9: no graceful shutdown, no offset commit, no leaving the group."""
        service = self.services[name]
        service.process.kill()
        service.process.wait()
        service.log.close()

    def restart(self, name: str) -> None:
        """Start a killed service again, on its port, appending to its log."""
        old = self.services[name]
        self.services[name] = self._start(name, old.port, "a")

    def __exit__(self, *exc: object) -> None:
        for service in self.services.values():
            service.process.send_signal(signal.SIGTERM)
        for service in self.services.values():
            try:
                service.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
            service.log.close()

    def ports(self) -> dict[str, int]:
        return {name: s.port for name, s in self.services.items()}

    async def wait_ready(self, within: float = READY_WITHIN) -> None:
        """Until every service answers /health/ready with 200 (at most `within` seconds)."""
        deadline = time.monotonic() + within
        waiting = list(self.services)
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                waiting = [name for name in waiting if not await self._ready(client, name)]
                if not waiting:
                    return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"not ready after {within}s: {', '.join(waiting)}")

    async def _ready(self, client: httpx.AsyncClient, name: str) -> bool:
        try:
            response = await client.get(f"{self.services[name].base_url}/health/ready")
        except httpx.TransportError:
            return False
        return response.status_code == 200


def service_env(
    database_url: str, bootstrap: str, topic_prefix: str, auth_secret: str
) -> dict[str, str]:
    """The settings `pnm serve` processes need to run against one database and broker."""
    return {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
        "PNM_AUTH_SECRET": auth_secret,
    }
