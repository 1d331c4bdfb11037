"""A standalone system (`pnm standalone`, embedded PostgreSQL, in-process transport) per test
module, for the suites that throw many requests at every service's public API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from pnm.cli.postgres import free_port


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("standalone")
    port = free_port()
    with open(tmp / "standalone.log", "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pnm.cli.main",
                "standalone",
                "--port",
                str(port),
                "--data-dir",
                str(tmp / "data"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            else:
                raise RuntimeError((tmp / "standalone.log").read_text()[-3000:])
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
