"""The deployment files keep in step with the services: every service (the console too) gets
an image, a compose container on its own port, and a SCRAM user; the console is told where each
service answers in a form its settings read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from pnm.cli.serve import DEFAULT_PORTS
from pnm.cli.services import ALL
from pnm.console.settings import SERVICES, ConsoleSettings

ROOT = Path(__file__).resolve().parents[3]


def compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_service_has_a_container_on_its_own_port() -> None:
    services = compose("docker-compose.yml")["services"]
    for name in ALL:
        port = DEFAULT_PORTS[name]
        assert services[name]["build"]["args"] == {"SERVICE": name, "PORT": str(port)}, name
        assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"], name


def test_the_image_build_knows_every_workspace_member() -> None:
    # uv sync --frozen refuses a workspace with a member's pyproject.toml missing.
    dockerfile = (ROOT / "deploy" / "service.Dockerfile").read_text()
    for name in ALL:
        assert f"COPY services/{name}/pyproject.toml services/{name}/" in dockerfile, name


def test_every_service_authenticates_as_its_own_scram_user() -> None:
    text = (ROOT / "docker-compose.scram.yml").read_text()
    services = compose("docker-compose.scram.yml")["services"]
    for name in ALL:
        assert f"pnm-{name}=${{" in text, name  # stored on the broker
        assert services[name]["environment"]["PNM_KAFKA_SASL_USERNAME"] == f"pnm-{name}", name


def test_the_console_is_told_where_every_service_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    console = compose("docker-compose.yml")["services"]["console"]
    monkeypatch.setenv("PNM_CONSOLE_API_URLS", console["environment"]["PNM_CONSOLE_API_URLS"])
    settings = ConsoleSettings()
    assert set(SERVICES) == set(ALL) - {"console"}
    for name in SERVICES:
        assert settings.base_url(name) == f"http://{name}:{DEFAULT_PORTS[name]}", name
