"""Sensors of an SMSPilot account: balance and what it pays for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import UserInfo
from .coordinator import (
    SmsPilotAccountCoordinator,
    SmsPilotConfigEntry,
    SmsPilotSmsCountCoordinator,
)
from .entity import SmsPilotEntity
from .inbound import LastInboundMessageSensor
from .tracker import LastMessageStatusSensor

# Reads come from coordinators; entities never call the API themselves.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsPilotAccountSensorDescription(SensorEntityDescription):
    """Describe a sensor computed from the account's user info."""

    value_fn: Callable[[UserInfo], Decimal | str | None]


ACCOUNT_SENSORS: tuple[SmsPilotAccountSensorDescription, ...] = (
    SmsPilotAccountSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement="RUB",
        suggested_display_precision=2,
        value_fn=lambda info: info.balance,
    ),
    SmsPilotAccountSensorDescription(
        key="default_sender",
        translation_key="default_sender",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda info: info.default_sender,
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
    data = entry.runtime_data
    async_add_entities(
        [
            *(
                SmsPilotAccountSensor(data.account, entry, description)
                for description in ACCOUNT_SENSORS
            ),
            SmsPilotSmsCountSensor(data.sms_count, entry, SMS_COUNT_SENSOR),
            LastMessageStatusSensor(entry),
            LastInboundMessageSensor(entry),
        ]
    )


class SmsPilotAccountSensor(SmsPilotEntity[SmsPilotAccountCoordinator], SensorEntity):
    """A sensor whose value comes from the account's user info."""

    entity_description: SmsPilotAccountSensorDescription

    def __init__(
        self,
        coordinator: SmsPilotAccountCoordinator,
        entry: SmsPilotConfigEntry,
        description: SmsPilotAccountSensorDescription,
    ) -> None:
        """Set up the sensor."""
        super().__init__(coordinator, entry, description.key)
        self.entity_description = description

    @property
    @override
    def native_value(self) -> Decimal | str | None:
        """Return the value for the account's current facts."""
        return self.entity_description.value_fn(self.coordinator.data)


class SmsPilotSmsCountSensor(SmsPilotEntity[SmsPilotSmsCountCoordinator], SensorEntity):
    """How many SMS the balance pays for, as SMSPilot estimates it."""

    def __init__(
        self,
        coordinator: SmsPilotSmsCountCoordinator,
        entry: SmsPilotConfigEntry,
        description: SensorEntityDescription,
    ) -> None:
        """Set up the sensor."""
        super().__init__(coordinator, entry, description.key)
        self.entity_description = description

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
