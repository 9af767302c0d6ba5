"""Notify entities: one per recipient, added and changed as the recipients are, without reloads."""

from __future__ import annotations

from typing import Any, override

# NotifyEntityFeature moved into notify.const in 2026; the package still offers it at runtime.
from homeassistant.components.notify import (  # type: ignore[attr-defined]
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .const import CONF_CHANNEL, CONF_PHONE, DOMAIN, SendKind
from .entity import account_id
from .models import SmsPilotConfigEntry
from .recipients import international, recipients, with_title

# Every send is one independent API request; nothing is shared between calls.
PARALLEL_UPDATES = 0


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> None:
    """Refuse a YAML notify platform: an account's notify actions come with its entry."""
    return


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsPilotConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one notify entity per recipient, and follow the recipients while loaded.

    A removed recipient's entity and device are removed by Home Assistant with the
    subentry; added and changed recipients are applied here, so no reload is needed.
    """
    entities: dict[str, SmsPilotRecipientNotifyEntity] = {}

    @callback
    def sync() -> None:
        current = {subentry.subentry_id: subentry for subentry in recipients(entry)}
        for subentry_id in set(entities) - set(current):
            del entities[subentry_id]
        for subentry_id, subentry in current.items():
            if (entity := entities.get(subentry_id)) is not None:
                entity.follow(subentry)
                continue
            entities[subentry_id] = entity = SmsPilotRecipientNotifyEntity(entry, subentry)
            # Tied to its subentry, the entity (and its device) go when the recipient is removed.
            async_add_entities([entity], config_subentry_id=subentry_id)

    @callback
    def entry_changed(change: ConfigEntryChange, changed: ConfigEntry[Any]) -> None:
        if change is ConfigEntryChange.UPDATED and changed.entry_id == entry.entry_id:
            sync()

    sync()
    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, entry_changed)
    )


class SmsPilotRecipientNotifyEntity(NotifyEntity):
    """A recipient that notify.send_message reaches by SMS or by a voice call."""

    _attr_has_entity_name = True
    # The entity is its recipient's device, so it takes the device's name.
    _attr_name = None
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: SmsPilotConfigEntry, subentry: ConfigSubentry) -> None:
        """Set up the entity for one recipient subentry."""
        self._entry = entry
        self._title = subentry.title
        self._phone: str = subentry.data[CONF_PHONE]
        self._kind = SendKind(subentry.data[CONF_CHANNEL])
        self._attr_unique_id = subentry.subentry_id
        # A device of its own: a device belongs to one subentry, so recipients can't share
        # the account's device without moving it out of the account.
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{account_id(entry)}_{subentry.subentry_id}")},
            name=subentry.title,
            manufacturer="SMSPilot",
            entry_type=DeviceEntryType.SERVICE,
        )

    @callback
    def follow(self, subentry: ConfigSubentry) -> None:
        """Take a changed phone, channel or name of the recipient."""
        self._phone = subentry.data[CONF_PHONE]
        self._kind = SendKind(subentry.data[CONF_CHANNEL])
        if subentry.title == self._title or self.hass is None:
            return
        self._title = subentry.title
        if (device := self.device_entry) is not None:
            dr.async_get(self.hass).async_update_device(device.id, name=subentry.title)

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message to the recipient's phone by the recipient's channel."""
        await self._entry.runtime_data.sender.async_send(
            self._kind, international(self._phone), with_title(message, title)
        )
