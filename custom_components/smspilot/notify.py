"""Notify for SMSPilot: notify.<account> services for automations and alerts, one entity per recipient."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any, override

# NotifyEntityFeature moved into notify.const in 2026; the package still offers it at runtime.
from homeassistant.components.notify import (  # type: ignore[attr-defined]
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.components.notify.legacy import NOTIFY_SERVICES, BaseNotificationService
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.setup import async_when_setup
from homeassistant.util import dt as dt_util, slugify

try:
    # Home Assistant 2026 validates with probatio (voluptuous's successor, same API).
    import probatio as vol
except ImportError:  # Home Assistant before 2026
    import voluptuous as vol  # type: ignore[no-redef]

from .const import (
    CHANNEL_SMS,
    CHANNEL_VOICE,
    CONF_CHANNEL,
    CONF_PHONE,
    DOMAIN,
    LOGGER,
    SUBENTRY_RECIPIENT,
)
from .coordinator import SmsPilotConfigEntry
from .entity import account_id
from .messaging import MessageKind

# Every send is one independent API request; nothing is shared between calls.
PARALLEL_UPDATES = 0

# Keys of the legacy services' `data`.
ATTR_SENDER = "sender"
ATTR_SEND_AT = "send_at"
ATTR_TTL = "ttl"

# What async_setup_legacy_notify hands to the notify integration's discovery.
DISCOVERY_ENTRY_ID = "entry_id"
DISCOVERY_CHANNEL = "channel"

# A notify group may pass keys meant for its other members, so unknown keys are left alone.
DATA_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_SENDER): cv.string,
        vol.Optional(ATTR_SEND_AT): cv.datetime,
        vol.Optional(ATTR_TTL): vol.Coerce(int),
    },
    extra=vol.ALLOW_EXTRA,
)

_SERVICE_SUFFIX = {CHANNEL_SMS: "", CHANNEL_VOICE: " voice"}


def _with_title(message: str, title: str | None) -> str:
    """Put the title, when there is one, on its own line before the message."""
    return f"{title}\n{message}" if title else message


def _recipients(entry: SmsPilotConfigEntry) -> list[ConfigSubentry]:
    """Return the account's recipient subentries."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]


def _international(phone: str) -> str:
    """Mark a saved recipient number (international digits) as international.

    Saved numbers are already normalised; without the "+" they would be read again as numbers
    of Home Assistant's country, which is wrong for a foreign recipient.
    """
    return phone if phone.startswith("+") else f"+{phone}"


def _recipient_phones(entry: SmsPilotConfigEntry, channel: str) -> list[str]:
    """Return the phones of the account's recipients that use this channel."""
    return list(
        dict.fromkeys(
            _international(subentry.data[CONF_PHONE])
            for subentry in _recipients(entry)
            if subentry.data[CONF_CHANNEL] == channel
        )
    )


async def async_setup_legacy_notify(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Offer notify.<account> (SMS) and notify.<account>_voice while the account is loaded."""

    async def _async_load(hass: HomeAssistant, _component: str) -> None:
        """Ask the notify integration to set up both services of the account."""
        for channel, suffix in _SERVICE_SUFFIX.items():
            await discovery.async_load_platform(
                hass,
                Platform.NOTIFY,
                DOMAIN,
                {
                    CONF_NAME: f"{entry.title}{suffix}",
                    DISCOVERY_ENTRY_ID: entry.entry_id,
                    DISCOVERY_CHANNEL: channel,
                },
                # Unused: the notify integration is already set up (with the real configuration)
                # when this runs, so discovery does not set it up with this empty one.
                {},
            )

    # Waiting for the notify integration, rather than loading it here, keeps its own YAML
    # platforms: the platform forward sets it up with Home Assistant's configuration.
    async_when_setup(hass, NOTIFY_DOMAIN, _async_load)


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> SmsPilotNotificationService | None:
    """Build one legacy notify service of an account (YAML set-up is not supported)."""
    if discovery_info is None:
        return None
    entry: SmsPilotConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info[DISCOVERY_ENTRY_ID]
    )
    if entry is None or entry.state not in (
        ConfigEntryState.SETUP_IN_PROGRESS,
        ConfigEntryState.LOADED,
    ):
        # The account was unloaded before the notify integration got to it.
        return None
    service_name = slugify(discovery_info[CONF_NAME])
    if hass.services.has_service(NOTIFY_DOMAIN, service_name):
        # Registering would be silently skipped and our unload would remove the other one.
        LOGGER.warning(
            "notify.%s already exists, so %s gets no notify.%s action; rename the entry",
            service_name,
            entry.title,
            service_name,
        )
        return None
    service = SmsPilotNotificationService(entry, discovery_info[DISCOVERY_CHANNEL])
    entry.async_on_unload(service.async_unregister_services)
    return service


class SmsPilotNotificationService(BaseNotificationService):
    """notify.<account> or notify.<account>_voice: SMS or voice calls to numbers or recipients."""

    def __init__(self, entry: SmsPilotConfigEntry, channel: str) -> None:
        """Remember the account and whether this service sends SMS or places calls."""
        self._entry = entry
        self._channel = channel

    @override
    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send the message in one request to the targets, or to the channel's recipients."""
        service = f"{NOTIFY_DOMAIN}.{self._service_name}"
        if self._entry.state is not ConfigEntryState.LOADED:
            # A service left behind by an unload that raced its registration must not crash.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="account_not_loaded",
                translation_placeholders={"account": self._entry.title},
            )
        try:
            data: dict[str, Any] = DATA_SCHEMA(kwargs.get(ATTR_DATA) or {})
        except vol.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"service": service, "error": str(err)},
            ) from err
        targets: list[str] = kwargs.get(ATTR_TARGET) or _recipient_phones(
            self._entry, self._channel
        )
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
        await self._entry.runtime_data.messenger.async_send(
            MessageKind(self._channel),
            targets,
            _with_title(message, kwargs.get(ATTR_TITLE)),
            sender=data.get(ATTR_SENDER),
            send_at=send_at,
            ttl=data.get(ATTR_TTL),
        )

    @override
    async def async_unregister_services(self) -> None:
        """Remove the action and forget this service, so reloads do not pile up stale ones."""
        await super().async_unregister_services()
        services: dict[str, list[BaseNotificationService]] = self.hass.data.get(NOTIFY_SERVICES, {})
        # The notify integration may have dropped its list already (YAML platform reset).
        with suppress(ValueError):
            services.get(DOMAIN, []).remove(self)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsPilotConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one notify entity per recipient of the account."""
    for subentry in _recipients(entry):
        # Tied to its subentry, the entity (and its device) go when the recipient is removed.
        async_add_entities(
            [SmsPilotRecipientNotifyEntity(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
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
        self._phone: str = subentry.data[CONF_PHONE]
        self._kind = MessageKind(subentry.data[CONF_CHANNEL])
        self._attr_unique_id = subentry.subentry_id
        # A device of its own: a device belongs to one subentry, so recipients can't share
        # the account's device without moving it out of the account.
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{account_id(entry)}_{subentry.subentry_id}")},
            name=subentry.title,
            manufacturer="SMSPilot",
            entry_type=DeviceEntryType.SERVICE,
        )

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message to the recipient's phone by the recipient's channel."""
        await self._entry.runtime_data.messenger.async_send(
            self._kind, _international(self._phone), _with_title(message, title)
        )
