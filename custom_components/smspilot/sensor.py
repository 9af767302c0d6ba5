"""Sensors of an SMSPilot account: balance, sender, SMS count, last status, last inbound SMS."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .const import SIGNAL_MESSAGE_STATUS, SIGNAL_SMS_RECEIVED
from .coordinator import SmsPilotAccountCoordinator, SmsPilotSmsCountCoordinator
from .entity import SmsPilotEntity, SmsPilotPushEntity
from .mailbox import ReceivedSms
from .models import SmsPilotConfigEntry, SmsPilotRuntimeData
from .statuses import STATUS_NAMES

# Reads come from coordinators and pushes; entities never call the API themselves.
PARALLEL_UPDATES = 0

# Home Assistant refuses states longer than 255 characters.
STATE_MAX_LENGTH: Final = 255
ELLIPSIS: Final = "…"
_STATUS_ATTRIBUTES: Final = ("server_id", "phone", "kind", "packet_id", "error")
_SMS_ATTRIBUTES: Final = ("id", "phone", "message", "num", "received_at")
# The last-inbound sensor writes at most this often (seconds) while SMS pour in.
BURST_WRITE_INTERVAL: Final = 0.01


@dataclass(frozen=True, kw_only=True)
class SmsPilotAccountSensorDescription(SensorEntityDescription):
    """Describe a sensor computed from the account's facts."""

    value_fn: Callable[[SmsPilotRuntimeData], Decimal | str | None]


ACCOUNT_SENSORS: tuple[SmsPilotAccountSensorDescription, ...] = (
    SmsPilotAccountSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement="RUB",
        suggested_display_precision=2,
        value_fn=lambda runtime: runtime.coordinator.data.balance,
    ),
    SmsPilotAccountSensorDescription(
        key="default_sender",
        translation_key="default_sender",
        entity_category=EntityCategory.DIAGNOSTIC,
        # What SMS really go out with: the options' choice, else the account's default.
        value_fn=lambda runtime: runtime.sender.effective_sender,
    ),
)

SMS_COUNT_SENSOR = SensorEntityDescription(
    key="sms_remaining",
    translation_key="sms_remaining",
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement="SMS",
    # The count needs a request of its own and only approximates the balance.
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsPilotConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    runtime = entry.runtime_data
    async_add_entities(
        [
            *(SmsPilotAccountSensor(entry, description) for description in ACCOUNT_SENSORS),
            SmsPilotSmsCountSensor(runtime.sms_count_coordinator, entry),
            LastMessageStatusSensor(entry),
            LastInboundMessageSensor(entry),
        ]
    )


class SmsPilotAccountSensor(SmsPilotEntity[SmsPilotAccountCoordinator], SensorEntity):
    """A sensor whose value comes from the account's facts."""

    entity_description: SmsPilotAccountSensorDescription

    def __init__(
        self, entry: SmsPilotConfigEntry, description: SmsPilotAccountSensorDescription
    ) -> None:
        """Set up the sensor."""
        super().__init__(entry.runtime_data.coordinator, entry, description.key)
        self.entity_description = description
        self._runtime = entry.runtime_data

    @property
    @override
    def native_value(self) -> Decimal | str | None:
        """Return the value for the account's current facts."""
        return self.entity_description.value_fn(self._runtime)


class SmsPilotSmsCountSensor(SmsPilotEntity[SmsPilotSmsCountCoordinator], SensorEntity):
    """How many SMS the balance pays for, as SMSPilot estimates it."""

    entity_description = SMS_COUNT_SENSOR

    def __init__(
        self, coordinator: SmsPilotSmsCountCoordinator, entry: SmsPilotConfigEntry
    ) -> None:
        """Set up the sensor."""
        super().__init__(coordinator, entry, SMS_COUNT_SENSOR.key)

    @override
    async def async_added_to_hass(self) -> None:
        """Fetch the count once when the user enables the sensor."""
        await super().async_added_to_hass()
        if self.coordinator.data is None:
            await self.coordinator.async_request_refresh()

    @property
    @override
    def available(self) -> bool:
        """Report available once a count was fetched and the last fetch worked."""
        return super().available and self.coordinator.data is not None

    @property
    @override
    def native_value(self) -> int | None:
        """Return the SMS count."""
        return self.coordinator.data


class LastMessageStatusSensor(SmsPilotPushEntity, RestoreSensor):
    """The latest status of any message of the account (an enum, restored after restart)."""

    _attr_translation_key = "last_message_status"
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the sensor to the account's device."""
        super().__init__(entry, "last_message_status", SIGNAL_MESSAGE_STATUS)
        self._attr_options = list(STATUS_NAMES)
        self._attr_extra_state_attributes = dict.fromkeys(_STATUS_ATTRIBUTES)

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last status and listen for new ones."""
        await super().async_added_to_hass()
        last_data = await self.async_get_last_sensor_data()
        if last_data is not None and last_data.native_value in STATUS_NAMES:
            self._attr_native_value = last_data.native_value
        if (last_state := await self.async_get_last_state()) is not None:
            self._attr_extra_state_attributes = {
                name: last_state.attributes.get(name) for name in _STATUS_ATTRIBUTES
            }

    @callback
    @override
    def _signalled(self, payload: Mapping[str, Any]) -> None:
        """Show a status change announced by the tracker."""
        name = payload["status_name"]
        self._attr_native_value = name if name in STATUS_NAMES else None
        self._attr_extra_state_attributes = {
            "server_id": payload["server_id"],
            "phone": payload["phone"],
            "kind": payload["kind"],
            "packet_id": payload["packet_id"],
            "error": payload["error_text"],
        }
        self.async_write_ha_state()


class LastInboundMessageSensor(SmsPilotPushEntity, RestoreSensor):
    """The text of the last inbound SMS; sender, time and the full text as attributes.

    In a burst (SMS closer together than BURST_WRITE_INTERVAL) the sensor writes the newest
    one once the burst pauses: every SMS still fires its event and the event entity.
    """

    _attr_translation_key = "last_inbound_message"

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the sensor to the account's device."""
        super().__init__(entry, "last_inbound_message", SIGNAL_SMS_RECEIVED)
        self._attr_extra_state_attributes = {}
        self._last_write = -BURST_WRITE_INTERVAL
        self._pending: ReceivedSms | None = None
        self._cancel_write: CALLBACK_TYPE | None = None

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Drop a write still planned."""
        if self._cancel_write is not None:
            self._cancel_write()
            self._cancel_write = None
        await super().async_will_remove_from_hass()

    @override
    async def async_added_to_hass(self) -> None:
        """Show the last SMS: one received in this run, else the one before the restart."""
        await super().async_added_to_hass()
        if (last := self._entry.runtime_data.mailbox.last) is not None:
            self._show(last)
            return
        state = await self.async_get_last_state()
        if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return
        self._attr_native_value = state.state
        self._attr_extra_state_attributes = {
            key: state.attributes[key] for key in _SMS_ATTRIBUTES if key in state.attributes
        }

    @callback
    @override
    def _signalled(self, payload: ReceivedSms) -> None:
        """Show a newly received SMS now, or, within a burst, when the burst pauses."""
        self._pending = payload
        if self._cancel_write is not None:
            return
        wait = self._last_write + BURST_WRITE_INTERVAL - self.hass.loop.time()
        if wait <= 0:
            self._write_pending()
        else:
            self._cancel_write = async_call_later(self.hass, wait, self._write_pending)

    @callback
    def _write_pending(self, _now: object = None) -> None:
        """Write the newest SMS received."""
        self._cancel_write = None
        if (payload := self._pending) is None:
            return
        self._pending = None
        self._last_write = self.hass.loop.time()
        self._show(payload)

    @callback
    def _show(self, payload: ReceivedSms) -> None:
        message = payload.message
        if len(message) > STATE_MAX_LENGTH:
            message = message[: STATE_MAX_LENGTH - len(ELLIPSIS)] + ELLIPSIS
        self._attr_native_value = message
        self._attr_extra_state_attributes = payload.attributes
        self.async_write_ha_state()
