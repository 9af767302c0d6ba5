"""Base entity for the SMSPilot integration."""

from __future__ import annotations

from typing import Any

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import ACCOUNT_URL, DOMAIN
from .coordinator import SmsPilotConfigEntry


def account_id(entry: SmsPilotConfigEntry) -> str:
    """Return the SMSPilot account id the config flow stored as the unique id."""
    return str(entry.unique_id)


def account_device_info(entry: SmsPilotConfigEntry) -> DeviceInfo:
    """Describe the service device that stands for one SMSPilot account."""
    return DeviceInfo(
        identifiers={(DOMAIN, account_id(entry))},
        name=entry.title,
        manufacturer="SMSPilot",
        model="API-1",
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=ACCOUNT_URL,
    )


class SmsPilotEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity of one SMSPilot account, fed by one of its coordinators."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, entry: SmsPilotConfigEntry, key: str) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{account_id(entry)}_{key}"
        self._attr_device_info = account_device_info(entry)
