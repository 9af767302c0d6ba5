"""notify.<account> and notify.<account>_voice: the actions automations and `alert` call.

One owner, made when the integration is set up, keeps these actions for the whole run: an
account registers its two actions at the end of its set-up and removes them when it unloads
(reload, disable, delete); a renamed account's actions follow its new name. The action finds
the account when it is called, so it always sends through the entry that is loaded now.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Final, override

from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.hass_dict import HassKey

from .compat import vol
from .const import (
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TTL,
    CHANNEL_SMS,
    CHANNEL_VOICE,
    DOMAIN,
    LOGGER,
    SendKind,
)
from .models import SmsPilotConfigEntry
from .recipients import recipient_phones, with_title

DATA_LEGACY_NOTIFY: HassKey[LegacyNotify] = HassKey(f"{DOMAIN}_legacy_notify")

# A notify group may pass keys meant for its other members, so unknown keys are left alone.
DATA_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_SENDER): cv.string,
        vol.Optional(ATTR_SEND_AT): cv.datetime,
        # Checked (whole minutes, 1..1440) with a translated error by the sender.
        vol.Optional(ATTR_TTL): vol.Any(int, float, str),
    },
    extra=vol.ALLOW_EXTRA,
)
_SUFFIX: Final = {CHANNEL_SMS: "", CHANNEL_VOICE: " voice"}


def service_names(title: str) -> dict[str, str]:
    """Return the notify action of each channel for an account title."""
    return {channel: slugify(f"{title}{suffix}") for channel, suffix in _SUFFIX.items()}


class LegacyNotify:
    """Own the legacy notify actions of every SMSPilot account for the whole run."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no actions; follow renames of loaded accounts."""
        self._hass = hass
        self._services: dict[str, list[AccountNotifyService]] = {}
        self._lock = asyncio.Lock()
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._entry_changed)

    def names(self, entry_id: str) -> list[str]:
        """Return the actions an account has now (for tests and diagnostics)."""
        return [service.name for service in self._services.get(entry_id, [])]

    async def async_add(self, entry: SmsPilotConfigEntry) -> None:
        """Register the account's actions (at the end of its set-up)."""
        async with self._lock:
            await self._async_register(entry)

    async def async_remove(self, entry_id: str) -> None:
        """Remove the account's actions (it unloads)."""
        async with self._lock:
            for service in self._services.pop(entry_id, []):
                await service.async_unregister_services()

    async def _async_register(self, entry: ConfigEntry[Any]) -> None:
        # Kept from the start, so a failure halfway is undone by async_remove.
        registered = self._services.setdefault(entry.entry_id, [])
        for channel, name in service_names(entry.title).items():
            if self._hass.services.has_service(NOTIFY_DOMAIN, name):
                # Registering would be silently skipped, and our unload would remove the other.
                LOGGER.warning(
                    "notify.%s already exists, so %s gets no notify.%s action; rename the entry",
                    name,
                    entry.title,
                    name,
                )
                continue
            service = AccountNotifyService(entry.entry_id, SendKind(channel), name)
            await service.async_setup(self._hass, name, name)
            registered.append(service)
            await service.async_register_services()

    @callback
    def _entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry[Any]) -> None:
        """Follow a renamed account."""
        services = self._services.get(entry.entry_id)
        if change is not ConfigEntryChange.UPDATED or services is None:
            return
        if [service.name for service in services] == list(service_names(entry.title).values()):
            return
        self._hass.async_create_task(self._async_rename(entry), f"{DOMAIN} notify rename")

    async def _async_rename(self, entry: ConfigEntry[Any]) -> None:
        async with self._lock:
            if entry.entry_id not in self._services or entry.state is not ConfigEntryState.LOADED:
                return
            for service in self._services.pop(entry.entry_id):
                await service.async_unregister_services()
            await self._async_register(entry)


class AccountNotifyService(BaseNotificationService):
    """Send SMS or robot calls through the account that is loaded under `entry_id`."""

    def __init__(self, entry_id: str, kind: SendKind, name: str) -> None:
        """Remember the account, the channel and the action's name."""
        self._entry_id = entry_id
        self._kind = kind
        self.name = name

    @override
    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send the message in one request to the targets, or to the channel's recipients."""
        service = f"{NOTIFY_DOMAIN}.{self.name}"
        entry: SmsPilotConfigEntry | None = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="account_not_loaded",
                translation_placeholders={"account": entry.title if entry else self.name},
            )
        try:
            data: dict[str, Any] = DATA_SCHEMA(kwargs.get(ATTR_DATA) or {})
        except vol.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"service": service, "error": str(err)},
            ) from err
        targets: list[str] = kwargs.get(ATTR_TARGET) or recipient_phones(entry, self._kind)
        if not targets:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_recipients",
                translation_placeholders={"service": service},
            )
        send_at: datetime | None = data.get(ATTR_SEND_AT)
        if send_at is not None and send_at.tzinfo is None:
            # A time without a zone means Home Assistant's local time, as in the UI.
            send_at = send_at.replace(tzinfo=dt_util.get_default_time_zone())
        await entry.runtime_data.sender.async_send(
            self._kind,
            targets,
            with_title(message, kwargs.get(ATTR_TITLE)),
            sender=data.get(ATTR_SENDER),
            send_at=send_at,
            ttl=data.get(ATTR_TTL),
        )
