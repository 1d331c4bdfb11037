"""Browser tests of the console: `pnm standalone --demo` as a user starts it, driven by
Playwright in Debian's Chromium (/usr/bin/chromium; never a downloaded browser). One standalone
system serves the whole session; each test works on lines of its own, so none sees another's
actions. Screenshots go to var/test-artifacts/console/ (PNM_TEST_ARTIFACTS to move them).
The fixtures are here, re-exported by conftest.py (a second `conftest` module name would
clash with tests/conftest.py for mypy)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from infra import Standalone, demo_standalone
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

CHROMIUM = os.environ.get("PNM_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium reaches for Google's hosts at every start, which a
# closed network refuses many times over.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The live parts of a page ask again every 5 s, after the read model has applied the event: more
# than Playwright's default 5 s on a loaded machine.
expect.set_options(timeout=30_000)
READY_SECONDS = 300  # a loaded 2-core machine takes minutes to import, migrate and start
ARTIFACTS = Path(
    os.environ.get("PNM_TEST_ARTIFACTS", Path(__file__).parents[2] / "var" / "test-artifacts")
)

SignIn = Callable[[Page, str], None]


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The system as `pnm standalone --demo` starts it, on a free port."""
    home = tmp_path_factory.mktemp("console-standalone")
    with demo_standalone(home, stop_within=60) as system:
        _wait_ready(system)
        yield system.url


def _wait_ready(system: Standalone) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if system.process.poll() is not None:
            raise AssertionError(f"standalone ended early:\n{system.log()[-3000:]}")
        try:
            if httpx.get(f"{system.url}/health/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"standalone not ready in {READY_SECONDS} s:\n{system.log()[-3000:]}")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, standalone: str) -> Iterator[Page]:
    """A fresh browser context per test (no cookies shared between tests)."""
    context = browser.new_context(base_url=standalone, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def sign_in() -> SignIn:
    """Sign in through the console's own sign-in page, as a person of `role`."""

    def signed_in(page: Page, role: str) -> None:
        page.goto("/console/")
        expect(page).to_have_url(re.compile(r"/console/login"))
        page.get_by_label("Your name").fill(f"test-{role}")
        page.get_by_label(role, exact=True).check()
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_text("Signed in as")).to_be_visible()

    return signed_in


def screenshot(page: Page, name: str) -> Path:
    """Keep what the browser showed as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "console" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
