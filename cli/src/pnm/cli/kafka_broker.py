"""A Kafka broker started with deploy/kafka.sh (the Apache jars, no Docker), for the
benchmark and the tests; it can be stopped and started again on the same data."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pnm.cli.postgres import free_port

REPO = Path(__file__).resolve().parents[4]
KAFKA_SCRIPT = REPO / "deploy" / "kafka.sh"


@dataclass
class ScriptKafka:
    data_dir: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _script(self, action: str) -> None:
        if not KAFKA_SCRIPT.exists():
            raise RuntimeError(f"{KAFKA_SCRIPT} not found: run from a checkout or pass --bootstrap")
        env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_DATA_DIR": str(self.data_dir),
        }
        result = subprocess.run(
            ["bash", str(KAFKA_SCRIPT), action], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka.sh {action} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> ScriptKafka:
        self._script("start")
        return self

    def stop(self) -> None:
        self._script("stop")
