"""The console's settings (PNM_CONSOLE_*): where the services' APIs are, how often pages
refresh, how wide the arrivals window is. docs/console.md lists them."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("prenotification", "manifest-ingest", "matcher", "holds")


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PNM_CONSOLE_", extra="ignore")

    # Where the services' APIs answer (each under /<service>/...): one base for all (standalone
    # sets its own address), or one per service in `api_urls` ({"holds": "http://holds:8004"}).
    api_url: str = "http://127.0.0.1:8000"
    api_urls: dict[str, str] = Field(default_factory=dict)
    api_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often an open page asks for fresh rows (seconds).
    refresh_seconds: float = Field(default=5.0, ge=1)
    arrivals_window_hours: float = Field(default=48.0, gt=0)
    # The overview's KPIs (docs/kpis.md): the period they count over, how often they refresh
    # (slower than the counts: they call the services' reconciliation), the decisions chart's
    # hours, the services whose reconciliation report is shown.
    kpi_window_hours: float = Field(default=168.0, gt=0, le=24 * 366)
    kpi_refresh_seconds: float = Field(default=30.0, ge=1)
    decision_chart_hours: int = Field(default=24, ge=1, le=168)
    reconciled_services: tuple[str, ...] = ("matcher", "holds")
    # A feed is quiet when neither a record nor a heartbeat came for this many minutes (per
    # feed; a feed not named here is never called quiet). The defaults are the matcher's
    # silence thresholds, after which it stops issuing `unnotified` for the feed's regime.
    feed_quiet_minutes: dict[str, float] = Field(
        default_factory=lambda: {"client-import": 60.0, "vgc": 60.0, "traces": 60.0}
    )
    # The sign-in form that mints a token with the development secret (PNM_AUTH_SECRET). Off in
    # production, where the identity provider's token comes in the Authorization header.
    local_login: bool = True
    # Cookies only over HTTPS (production); standalone on plain HTTP keeps it off.
    secure_cookies: bool = False

    @field_validator("feed_quiet_minutes")
    @classmethod
    def _positive(cls, minutes: dict[str, float]) -> dict[str, float]:
        if bad := sorted(system for system, limit in minutes.items() if not limit > 0):
            raise ValueError(f"feed_quiet_minutes: must be above 0 for {', '.join(bad)}")
        return minutes

    def base_url(self, service: str) -> str:
        return self.api_urls.get(service, self.api_url).rstrip("/")
