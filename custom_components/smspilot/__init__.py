"""The SMSPilot integration: SMS, voice calls and number checks through SMSPilot."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import SmsPilotClient
from .const import CONF_API_URL
from .coordinator import (
    SmsPilotAccountCoordinator,
    SmsPilotConfigEntry,
    SmsPilotRuntimeData,
    SmsPilotSmsCountCoordinator,
)

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Set up one SMSPilot account."""
    client = SmsPilotClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        api_url=entry.data[CONF_API_URL],
    )
    account = SmsPilotAccountCoordinator(hass, entry, client)
    await account.async_config_entry_first_refresh()
    entry.runtime_data = SmsPilotRuntimeData(
        client=client,
        account=account,
        sms_count=SmsPilotSmsCountCoordinator(hass, entry, client),
    )
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Unload one SMSPilot account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_options_updated(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Apply changed options by reloading the account."""
    await hass.config_entries.async_reload(entry.entry_id)
