"""Common bases of the SMSPilot entities: the account's device and unique ids."""

from __future__ import annotations

from typing import Any, override

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import ACCOUNT_URL, DOMAIN
from .models import SmsPilotConfigEntry


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


class SmsPilotPushEntity(Entity):
    """An entity of one SMSPilot account, fed by one of its dispatcher signals."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: SmsPilotConfigEntry, key: str, signal: str) -> None:
        """Attach the entity to the account's device and name the signal it listens to."""
        self._entry = entry
        self._signal = signal.format(entry.entry_id)
        self._attr_unique_id = f"{account_id(entry)}_{key}"
        self._attr_device_info = account_device_info(entry)

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the signal while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(async_dispatcher_connect(self.hass, self._signal, self._signalled))

    @callback
    def _signalled(self, payload: Any) -> None:
        """Take the signal's payload and write the state (each subclass says how)."""
        raise NotImplementedError
