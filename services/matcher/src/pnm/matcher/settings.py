"""The matcher's settings (PNM_MATCHER_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.matcher.service_layer.service import Settings


class MatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_MATCHER_", extra="ignore")

    deadline_scan_seconds: float = Field(default=5.0, gt=0)
    deadline_batch: int = Field(default=2000, ge=1)
    # Issue no block before every pre-notification accepted before it is consumed
    # (docs/watermark.md). Only for testing the matcher in isolation, fed by a test instead of
    # the pre-notification service: false treats the feed as always complete.
    await_prenotification_watermark: bool = True


def decision_settings() -> Settings:
    """What the service layer needs of these settings."""
    return Settings(awaits_watermark=MatcherSettings().await_prenotification_watermark)
