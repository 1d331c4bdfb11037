"""What an operator tunes about the terminal protocol (docs/terminal-protocol.md): when an
unanswered instruction is sent again, when it goes in front of people, and which terminals
are in shadow mode."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.holds.domain.resend import ResendPolicy


class TerminalProtocolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_HOLDS_", extra="ignore")

    # A terminal's system answers in seconds when it is up; the first re-send waits a minute,
    # then the wait doubles up to the maximum, so a terminal down for hours is not flooded.
    resend_first_seconds: float = Field(default=60.0, gt=0)
    resend_max_seconds: float = Field(default=600.0, gt=0)
    # A block unanswered for a quarter of an hour may let a container leave: people act.
    escalate_after_seconds: float = Field(default=900.0, gt=0)
    # How often the loop looks for instructions that are due.
    resend_interval_seconds: float = Field(default=5.0, gt=0)
    # Registered terminals whose instructions are recorded only, e.g. "ECTDELTA,RWG".
    shadow_terminals: str = ""

    @model_validator(mode="after")
    def _max_not_below_first(self) -> TerminalProtocolSettings:
        if self.resend_max_seconds < self.resend_first_seconds:
            raise ValueError(
                "PNM_HOLDS_RESEND_MAX_SECONDS must not be below PNM_HOLDS_RESEND_FIRST_SECONDS"
            )
        return self

    def shadow_codes(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.shadow_terminals.split(",") if c.strip())

    def resend_policy(self) -> ResendPolicy:
        return ResendPolicy(
            first=timedelta(seconds=self.resend_first_seconds),
            longest=timedelta(seconds=self.resend_max_seconds),
            escalate_after=timedelta(seconds=self.escalate_after_seconds),
        )


@cache
def protocol_settings() -> TerminalProtocolSettings:
    """Read once per process (tests clear the cache after changing the environment)."""
    return TerminalProtocolSettings()
