"""The SMSPilot integration: SMS, voice calls and number checks through SMSPilot."""

from __future__ import annotations

from homeassistant.components.webhook import async_generate_id
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import SmsPilotClient
from .const import CONF_API_URL, DOMAIN
from .coordinator import (
    SmsPilotAccountCoordinator,
    SmsPilotConfigEntry,
    SmsPilotRuntimeData,
    SmsPilotSmsCountCoordinator,
)
from .inbound import InboundProcessor
from .messaging import SmsPilotMessenger
from .notify import async_setup_legacy_notify
from .services import async_setup_services
from .tracker import DeliveryTracker
from .webhook import async_public_url, async_register_webhook, async_remove_webhook

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once; they outlive any single account."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Set up one SMSPilot account."""
    if CONF_WEBHOOK_ID not in entry.data:
        # Entries made before inbound SMS existed get their webhook now.
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: async_generate_id()}
        )
    client = SmsPilotClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        api_url=entry.data[CONF_API_URL],
    )
    account = SmsPilotAccountCoordinator(hass, entry, client)
    await account.async_config_entry_first_refresh()

    tracker = DeliveryTracker(hass, entry, client)
    inbound = InboundProcessor(hass, entry, client)
    await tracker.async_load()
    await inbound.async_load()
    entry.runtime_data = SmsPilotRuntimeData(
        client=client,
        account=account,
        sms_count=SmsPilotSmsCountCoordinator(hass, entry, client),
        tracker=tracker,
        inbound=inbound,
        messenger=SmsPilotMessenger(hass, entry, client, account, tracker),
    )
    entry.async_on_unload(tracker.async_unload)
    entry.async_on_unload(inbound.async_unload)

    async_register_webhook(hass, entry)
    public_url = await async_public_url(hass, entry)
    tracker.callback_url = public_url
    await inbound.async_start(public_url=public_url)

    await async_setup_legacy_notify(hass, entry)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Unload one SMSPilot account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Forget the account's webhook (and its cloud address) when the entry is deleted."""
    await async_remove_webhook(hass, entry)


async def _async_options_updated(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Apply changed options by reloading the account."""
    await hass.config_entries.async_reload(entry.entry_id)
