"""Fixtures of the end-to-end suite: the browser, one page per scenario, the instances.

scripts/e2e starts the instances and passes their addresses in the environment:
E2E_<LANG>_HA_URL, E2E_<LANG>_EMULATOR_URL and E2E_<LANG>_HA_CONFIG (the configuration
folder, for the log), E2E_CHROMIUM (the browser executable),
E2E_SCREENSHOTS (where documentation screenshots go) and E2E_ARTIFACTS (failure output).
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import sys

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ha_ui import Instance

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000

expect.set_options(timeout=TIMEOUT_MS)


def _path_from_env(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Return the folder for documentation screenshots (None: take none)."""
    return _path_from_env("E2E_SCREENSHOTS")


@pytest.fixture(scope="session")
def artifacts() -> Path | None:
    """Return the folder for failure screenshots and traces."""
    return _path_from_env("E2E_ARTIFACTS")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Start Debian's Chromium once for the whole run (headless)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def instance(lang: str) -> Instance:
    """Return the Home Assistant and emulator scripts/e2e started for a language."""
    ha_url = os.environ.get(f"E2E_{lang.upper()}_HA_URL")
    emulator_url = os.environ.get(f"E2E_{lang.upper()}_EMULATOR_URL")
    if not ha_url or not emulator_url:
        pytest.skip(f"no Home Assistant for {lang} in this run (scripts/e2e --lang {lang})")
    config = os.environ.get(f"E2E_{lang.upper()}_HA_CONFIG")
    return Instance(
        lang=lang,
        ha_url=ha_url,
        emulator_url=emulator_url,
        config_dir=Path(config) if config else None,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Let fixtures see whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# Requests that fail in every run here: brand images of core integrations and map tiles
# come from the internet.
_EXPECTED_FAILURES = ("/api/brands/", "/api/map_tiles/")


def _keep_console_error(console: list[str], message: ConsoleMessage) -> None:
    """Keep the browser console's errors, except the expected failed requests."""
    if message.type != "error":
        return
    url = message.location.get("url", "")
    if "Failed to load resource" in message.text and any(p in url for p in _EXPECTED_FAILURES):
        return
    console.append(f"console error: {message.text} ({url})")


@pytest.fixture
def page(
    browser: Browser, lang: str, artifacts: Path | None, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """Open a fresh browser context (an English browser in Moscow) with tracing on."""
    context = browser.new_context(
        viewport=VIEWPORT,
        locale="en-US",
        timezone_id="Europe/Moscow",
        device_scale_factor=1,
    )
    context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda err: console.append(f"page error: {err}"))
    page.on("console", lambda msg: _keep_console_error(console, msg))
    yield page
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    if failed and artifacts is not None:
        artifacts.mkdir(parents=True, exist_ok=True)
        context.tracing.stop(path=artifacts / f"{lang}-trace.zip")
        (artifacts / f"{lang}-console.log").write_text("\n".join(console), encoding="utf-8")
    else:
        context.tracing.stop()
    context.close()
