"""Tests for setting up and unloading SMSPilot accounts."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smspilot.const import CONF_DEFAULT_SENDER, DOMAIN
from smspilot_emulator import DEMO_API_KEY, Emulator

from .conftest import revoke_key, user_info_requests


async def test_setup_and_unload(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """An account loads with one user-info request, sends nothing, and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert [r.params["apikey"] for r in user_info_requests(emulator)] == [DEMO_API_KEY]
    assert not any("send" in r.params for r in emulator.requests)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_setup_retries_when_unreachable(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A connection failure at start-up retries later instead of failing for good."""
    emulator.set_fault("http_500")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_with_rejected_key_starts_reauth(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A key SMSPilot refuses at start-up asks the user for a new one."""
    revoke_key(emulator)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_changed_options_reload_the_account(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Saving options reloads the account once, so the new default sender takes effect."""
    before = len(user_info_requests(emulator))
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: "test"}
    )
    await hass.async_block_till_done()
    assert init_integration.options == {CONF_DEFAULT_SENDER: "test"}
    assert init_integration.state is ConfigEntryState.LOADED
    # The reload fetched the account again.
    assert len(user_info_requests(emulator)) == before + 1


async def test_unchanged_options_do_not_reload(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Saving the options as they are reloads nothing."""
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_DEFAULT_SENDER: "INFORM"}
    )
    await hass.async_block_till_done()
    before = len(user_info_requests(emulator))
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: "INFORM"}
    )
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert len(user_info_requests(emulator)) == before
