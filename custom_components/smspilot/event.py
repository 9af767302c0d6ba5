"""Event entity of an SMSPilot account: one event per inbound SMS."""

from __future__ import annotations

from typing import Final, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SIGNAL_SMS_RECEIVED
from .coordinator import SmsPilotConfigEntry
from .entity import account_device_info, account_id
from .inbound import ATTR_ID, ATTR_MESSAGE, ATTR_NUM, ATTR_PHONE, ReceivedSms

# Events are pushed by the webhook; nothing is fetched per entity.
PARALLEL_UPDATES = 0

EVENT_RECEIVED: Final = "received"

INBOUND_SMS = EventEntityDescription(
    key="inbound_sms",
    translation_key="inbound_sms",
    event_types=[EVENT_RECEIVED],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsPilotConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's inbound-SMS event entity."""
    async_add_entities([InboundSmsEventEntity(entry)])


class InboundSmsEventEntity(EventEntity):
    """Fires `received` with the sender, text, service number and id of each inbound SMS."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the entity to the account's device."""
        self.entity_description = INBOUND_SMS
        self._entry_id = entry.entry_id
        self._attr_unique_id = f"{account_id(entry)}_{INBOUND_SMS.key}"
        self._attr_device_info = account_device_info(entry)

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the account's inbound SMS."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_SMS_RECEIVED.format(self._entry_id), self._received
            )
        )

    @callback
    def _received(self, sms: ReceivedSms) -> None:
        """Fire the event for one SMS."""
        self._trigger_event(
            EVENT_RECEIVED,
            {
                ATTR_PHONE: sms.phone,
                ATTR_MESSAGE: sms.message,
                ATTR_NUM: sms.num,
                ATTR_ID: sms.id,
            },
        )
        self.async_write_ha_state()
