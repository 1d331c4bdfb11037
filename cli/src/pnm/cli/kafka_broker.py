"""A Kafka broker started with deploy/kafka.sh (the Apache jars, no Docker), for the
benchmark and the tests; it can be stopped and started again on the same data. With
`admin_password` its client listener takes SASL/SCRAM only (users stored at format time)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pnm.cli.postgres import free_port
from pnm.shared.messaging.kafka_security import KafkaSecurity

REPO = Path(__file__).resolve().parents[4]
KAFKA_SCRIPT = REPO / "deploy" / "kafka.sh"


@dataclass
class ScriptKafka:
    data_dir: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    admin_password: str | None = None  # SASL_PLAINTEXT with SCRAM; the broker's own user
    scram_users: dict[str, str] = field(default_factory=dict)  # further users: name -> password
    authorizer: bool = False  # enforce ACLs (only `admin` is allowed anything until granted)

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
        if self.admin_password is not None:
            env["KAFKA_SASL_ADMIN_PASSWORD"] = self.admin_password
            env["KAFKA_SCRAM_USERS"] = " ".join(f"{u}={p}" for u, p in self.scram_users.items())
            if self.authorizer:
                env["KAFKA_AUTHORIZER"] = "1"
        result = subprocess.run(
            ["bash", str(KAFKA_SCRIPT), action], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka.sh {action} failed:\n{result.stdout}\n{result.stderr}")

    def security(self, user: str = "admin") -> KafkaSecurity:
        """Client settings to reach this broker as `user` (PLAINTEXT without SASL)."""
        if self.admin_password is None:
            return KafkaSecurity()
        password = self.admin_password if user == "admin" else self.scram_users[user]
        return KafkaSecurity(
            security_protocol="SASL_PLAINTEXT",
            sasl_username=user,
            sasl_password=password,
        )

    def start(self) -> ScriptKafka:
        self._script("start")
        return self

    def stop(self) -> None:
        self._script("stop")
