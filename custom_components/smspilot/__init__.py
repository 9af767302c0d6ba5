"""The SMSPilot integration: SMS, voice calls and number checks through SMSPilot."""

from __future__ import annotations

from functools import partial

from homeassistant.components.webhook import async_generate_id
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import SmsPilotClient
from .chat import AssistChat, survey_issue_id
from .const import CONF_API_URL, CONF_DEFAULT_SENDER, DOMAIN, LOGGER
from .coordinator import SmsPilotAccountCoordinator, SmsPilotSmsCountCoordinator
from .delivery import DeliveryTracker, async_remove_pending
from .health import AccountHealth, blocked_issue_id
from .intent import async_setup_intents
from .legacy_notify import DATA_LEGACY_NOTIFY, LegacyNotify
from .mailbox import InboundMailbox
from .models import SmsPilotConfigEntry, SmsPilotRuntimeData
from .public_address import PublicAddress, async_remove_public_address
from .sending import Sender
from .services import async_setup_services
from .webhook import async_register_webhook

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and the notify owner once; they outlive any single account."""
    async_setup_services(hass)
    await async_setup_intents(hass)
    hass.data[DATA_LEGACY_NOTIFY] = LegacyNotify(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Bring entries of older releases up to the current data version."""
    if entry.version > 1:
        # Made by a newer release of this integration: nothing here can read it.
        return False
    if entry.minor_version < 2:
        # 1.2: entries made before inbound SMS existed get their webhook.
        data = {**entry.data}
        data.setdefault(CONF_WEBHOOK_ID, async_generate_id())
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
        LOGGER.debug("Migrated %s to version 1.2", entry.title)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Set up one SMSPilot account, all or nothing.

    Every step registers its own undo at once, so a failure anywhere leaves nothing behind
    (Home Assistant runs the undo list) and the retry starts clean.
    """
    client = SmsPilotClient(
        async_get_clientsession(hass), entry.data[CONF_API_KEY], api_url=entry.data[CONF_API_URL]
    )
    health = AccountHealth(hass, entry)
    coordinator = SmsPilotAccountCoordinator(hass, entry, client, health)
    await coordinator.async_config_entry_first_refresh()

    start_task = partial(entry.async_create_background_task, hass)
    delivery = DeliveryTracker(
        hass, entry.entry_id, client, report_error=health.report, start_task=start_task
    )
    mailbox = InboundMailbox(
        hass, entry.entry_id, client, created_at=entry.created_at, start_task=start_task
    )

    def address_changed(url: str | None) -> None:
        delivery.callback_url = url
        mailbox.set_polling(url is None)

    address = PublicAddress(hass, entry, address_changed)
    try:
        await delivery.async_load()
        entry.async_on_unload(delivery.async_unload)
        await mailbox.async_load(str(entry.unique_id))
        entry.async_on_unload(mailbox.async_unload)
        entry.async_on_unload(address.async_stop)
        await address.async_start()
    except Exception as err:
        raise _not_ready(err) from err

    sender = Sender(
        hass,
        client,
        coordinator,
        delivery,
        title=lambda: entry.title,
        default_sender=entry.options.get(CONF_DEFAULT_SENDER) or None,
        report_error=health.report,
    )
    chat = AssistChat(
        hass,
        entry,
        sender,
        own_numbers=lambda: coordinator.data.senders if coordinator.data else (),
        start_task=start_task,
    )
    entry.runtime_data = SmsPilotRuntimeData(
        client=client,
        health=health,
        coordinator=coordinator,
        sms_count_coordinator=SmsPilotSmsCountCoordinator(hass, entry, client, health),
        delivery=delivery,
        mailbox=mailbox,
        address=address,
        sender=sender,
        chat=chat,
    )
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except Exception as err:
        raise _not_ready(err) from err
    try:
        await hass.data[DATA_LEGACY_NOTIFY].async_add(entry)
        # Last, once the entities exist: SMSPilot's requests, and what arrived meanwhile.
        entry.async_on_unload(chat.async_start())
        entry.async_on_unload(async_register_webhook(hass, entry))
        mailbox.async_start(polling=address.url is None)
    except Exception as err:
        # The actions and the platforms are not on the undo list: undo them here.
        await hass.data[DATA_LEGACY_NOTIFY].async_remove(entry.entry_id)
        await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
        raise _not_ready(err) from err
    return True


def _not_ready(err: Exception) -> ConfigEntryNotReady:
    """Turn a failed set-up step into a retry; every release then runs the undo list."""
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="setup_failed",
        translation_placeholders={"error": type(err).__name__},
    )


async def async_unload_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> bool:
    """Unload one SMSPilot account: its notify actions first, then its entities."""
    await hass.data[DATA_LEGACY_NOTIFY].async_remove(entry.entry_id)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Remove everything a deleted account made: stores, cloudhook and repair issues."""
    await async_remove_pending(hass, entry.entry_id)
    await InboundMailbox.async_remove_memory(hass, entry.entry_id, str(entry.unique_id))
    await async_remove_public_address(hass, entry)
    ir.async_delete_issue(hass, DOMAIN, blocked_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, survey_issue_id(entry.entry_id))
