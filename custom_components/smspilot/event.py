"""Event entity of an SMSPilot account: one event per inbound SMS."""

from __future__ import annotations

from typing import Final, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SIGNAL_SMS_RECEIVED
from .entity import SmsPilotPushEntity
from .mailbox import ReceivedSms
from .models import SmsPilotConfigEntry

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


class InboundSmsEventEntity(SmsPilotPushEntity, EventEntity):
    """Fires `received` with the sender, text, service number and id of each inbound SMS."""

    entity_description = INBOUND_SMS

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the entity to the account's device."""
        super().__init__(entry, INBOUND_SMS.key, SIGNAL_SMS_RECEIVED)

    @callback
    @override
    def _signalled(self, payload: ReceivedSms) -> None:
        """Fire the event for one SMS."""
        self._trigger_event(
            EVENT_RECEIVED,
            {
                "phone": payload.phone,
                "message": payload.message,
                "num": payload.num,
                "id": payload.id,
            },
        )
        self.async_write_ha_state()
