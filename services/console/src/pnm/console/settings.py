"""The console's settings (PNM_CONSOLE_*): where the services' APIs are, how often pages
refresh, how wide the arrivals window is. docs/console.md lists them."""

from __future__ import annotations

from pydantic import Field
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
    # The sign-in form that mints a token with the development secret (PNM_AUTH_SECRET). Off in
    # production, where the identity provider's token comes in the Authorization header.
    local_login: bool = True
    # Cookies only over HTTPS (production); standalone on plain HTTP keeps it off.
    secure_cookies: bool = False

    def base_url(self, service: str) -> str:
        return self.api_urls.get(service, self.api_url).rstrip("/")
