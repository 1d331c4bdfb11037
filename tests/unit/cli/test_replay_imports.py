"""`pnm replay` starts without the web stack: the command line names the services without
importing them, and the replay's own imports are the domain's (issue 15: a replay starts in
under a second)."""

from __future__ import annotations

import json
import subprocess
import sys

from pnm.cli.service_names import PIPELINE_NAMES, SERVICE_NAMES
from pnm.cli.services import ALL, PIPELINE

WEB_STACK = (
    "aiokafka",
    "asyncpg",
    "fastapi",
    "httpx",
    "jinja2",
    "prometheus_client",
    "sqlalchemy",
    "starlette",
    "uvicorn",
)


def test_the_names_are_the_services() -> None:
    assert list(SERVICE_NAMES) == list(ALL)
    assert list(PIPELINE_NAMES) == list(PIPELINE)


def test_the_replay_loads_no_web_stack() -> None:
    probe = (
        "import json, sys, pnm.cli.main, pnm.cli.replay; "
        f"print(json.dumps(sorted(m for m in {WEB_STACK!r} if m in sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(loaded) == []
