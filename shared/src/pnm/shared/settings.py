"""Settings from the environment: one prefix per service (PNM_MATCHER_DATABASE_URL, ...),
with PNM_* as the common fallback so one variable can configure all four."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.shared.contracts.limits import DateWindow


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/pnm"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = ""
    log_level: str = "INFO"


class ServiceSettings(BaseSettings):
    """Per-service settings; unset fields fall back to CommonSettings."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = None
    kafka_bootstrap: str | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # default: the service's own port (see pnm.cli.serve)
    relay_batch_size: int = Field(default=2000, ge=1)
    relay_idle_seconds: float = Field(default=1.0, gt=0)
    # For a service whose topics carry watermarks (docs/watermark.md): the longest a partition
    # goes without a stamp while idle; the matcher's blocks wait up to about this long.
    relay_watermark_seconds: float = Field(default=0.5, gt=0)
    consumer_batch_size: int = Field(default=2000, ge=1)
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_stuck_seconds: float = Field(default=60.0, gt=0)
    # Static group membership (KIP-345): unique and stable per instance, e.g. the pod name of
    # a StatefulSet. Unset: dynamic membership (docs/operations.md, "Rejoin after a restart").
    consumer_instance_id: str | None = Field(default=None, min_length=1, max_length=249)
    # The broker accepts 6 s to 30 min (group.min/max.session.timeout.ms).
    consumer_session_timeout_ms: int = Field(default=10_000, ge=6_000, le=1_800_000)
    consumer_lag_interval_seconds: float = Field(default=5.0, gt=0)
    consumer_catching_up_lag: int = Field(default=0, ge=0)
    db_pool_size: int = Field(default=10, ge=1)


def service_settings(service: str, **overrides: object) -> tuple[CommonSettings, ServiceSettings]:
    prefix = "PNM_" + service.upper().replace("-", "_") + "_"
    settings_cls = type(
        f"{service}Settings",
        (ServiceSettings,),
        {"model_config": SettingsConfigDict(env_prefix=prefix, extra="ignore")},
    )
    return CommonSettings(), settings_cls(**overrides)


class IntakeSettings(BaseSettings):
    """How far from the time of receipt an ETA, arrival or expected arrival is plausible at
    intake (PNM_INTAKE_PAST_DAYS, PNM_INTAKE_FUTURE_DAYS): see docs/limits.md."""

    model_config = SettingsConfigDict(env_prefix="PNM_INTAKE_", extra="ignore")

    past_days: float = Field(default=90, gt=0)
    future_days: float = Field(default=366, gt=0)


@cache
def intake_window() -> DateWindow:
    settings = IntakeSettings()
    return DateWindow(
        past=timedelta(days=settings.past_days), future=timedelta(days=settings.future_days)
    )
