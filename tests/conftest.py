"""Shared test fixtures: the SMSPilot emulator and Home Assistant set-up helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import logging

from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Home Assistant looks custom integrations up in the harness's own package; importing ours
# first makes `custom_components.smspilot` resolve to this repository.
import custom_components.smspilot  # noqa: F401
from custom_components.smspilot.const import CONF_API_URL, DOMAIN
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator, RecordedRequest

# Fails the session when an API key or webhook id shows up in any log record.
pytest_plugins = ["tests.plugin_secrets"]

WEBHOOK_ID = "0f5a2d9c4e7b41a8b3c6d1e2f3a4b5c6"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


# What Home Assistant says when an integration does something it will stop allowing, or
# when a task fails with nobody to hear it: none of it may appear in any test.
HOME_ASSISTANT_COMPLAINTS = (
    "Detected that custom integration",
    "Detected code that",
    "will stop working in Home Assistant",
    "Task exception was never retrieved",
    "Error doing job",
)


class _ComplaintCatcher(logging.Handler):
    """Keep every warning Home Assistant logs about how the integration behaves."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.complaints: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.name == "homeassistant.helpers.frame" or any(
            marker in text for marker in HOME_ASSISTANT_COMPLAINTS
        ):
            self.complaints.append(f"{record.levelname} [{record.name}] {text}")


@pytest.fixture(autouse=True)
def no_home_assistant_complaints() -> Iterator[None]:
    """Fail a test in which Home Assistant warned about the integration (frame reports...)."""
    catcher = _ComplaintCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield
    finally:
        root.removeHandler(catcher)
    assert not catcher.complaints, "\n".join(catcher.complaints)


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """Run a fresh SMSPilot emulator on 127.0.0.1 for one test."""
    emu = Emulator(status_delays=(0.2, 0.4))
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the Home Assistant and Python versions under test at the end of the run."""
    from platform import python_version

    from homeassistant.const import __version__

    terminalreporter.write_line(f"Home Assistant {__version__} on Python {python_version()}")


@pytest.fixture
def mock_config_entry(emulator: Emulator) -> MockConfigEntry:
    """Return a config entry for the emulator's demo account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        data={
            CONF_API_KEY: DEMO_API_KEY,
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the demo account in Home Assistant."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


def user_info_requests(emulator: Emulator) -> list[RecordedRequest]:
    """Return the user-info requests (only the key and the format) the emulator received."""
    return [r for r in emulator.requests if not set(r.params) - {"apikey", "format"}]


REVOKED_PREFIX = "revoked:"


def revoke_key(emulator: Emulator, api_key: str = DEMO_API_KEY) -> None:
    """Make SMSPilot stop accepting an API key (answered with 101 "Invalid APIKEY")."""
    emulator.accounts[REVOKED_PREFIX + api_key] = emulator.accounts.pop(api_key)


def restore_key(emulator: Emulator, api_key: str = DEMO_API_KEY) -> None:
    """Accept a revoked API key again (nothing happens if it was not revoked)."""
    if (account := emulator.accounts.pop(REVOKED_PREFIX + api_key, None)) is not None:
        emulator.accounts[api_key] = account
