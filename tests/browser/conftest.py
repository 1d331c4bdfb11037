"""The browser tests' fixtures live in browser_support.py."""

from browser_support import browser, page, playwright, sign_in, standalone

__all__ = ["browser", "page", "playwright", "sign_in", "standalone"]
