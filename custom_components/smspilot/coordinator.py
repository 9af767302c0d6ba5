"""Data update coordinators for the SMSPilot integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    SmsPilotAuthenticationError,
    SmsPilotClient,
    SmsPilotConnectionError,
    SmsPilotError,
    UserInfo,
)
from .const import ACCOUNT_SCAN_INTERVAL, DOMAIN, LOGGER, SMS_COUNT_SCAN_INTERVAL

if TYPE_CHECKING:
    from .inbound import InboundProcessor
    from .messaging import SmsPilotMessenger
    from .tracker import DeliveryTracker

type SmsPilotConfigEntry = ConfigEntry[SmsPilotRuntimeData]


@dataclass(slots=True)
class SmsPilotRuntimeData:
    """What a loaded SMSPilot account keeps while it runs."""

    client: SmsPilotClient
    account: SmsPilotAccountCoordinator
    sms_count: SmsPilotSmsCountCoordinator
    tracker: DeliveryTracker
    inbound: InboundProcessor
    messenger: SmsPilotMessenger


async def _call_api[T](request: Callable[[], Awaitable[T]]) -> T:
    """Run one API request, turning client errors into coordinator errors."""
    try:
        return await request()
    except SmsPilotAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except SmsPilotConnectionError as err:
        raise UpdateFailed(translation_domain=DOMAIN, translation_key="cannot_connect") from err
    except SmsPilotError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="api_error",
            translation_placeholders={"error": err.description or str(err)},
        ) from err


class _SmsPilotCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Poll one read request of an account at its own pace."""

    config_entry: SmsPilotConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsPilotConfigEntry,
        client: SmsPilotClient,
        *,
        what: str,
        update_interval: timedelta,
        request: Callable[[], Awaitable[DataT]],
    ) -> None:
        """Set up the coordinator for one account."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {what}",
            update_interval=update_interval,
        )
        self.client = client
        self._request = request

    @override
    async def _async_update_data(self) -> DataT:
        """Make the request."""
        return await _call_api(self._request)


class SmsPilotAccountCoordinator(_SmsPilotCoordinator[UserInfo]):
    """Keep the account's facts (balance, senders) fresh with the user-info request."""

    def __init__(
        self, hass: HomeAssistant, entry: SmsPilotConfigEntry, client: SmsPilotClient
    ) -> None:
        """Set up the coordinator for one account."""
        super().__init__(
            hass,
            entry,
            client,
            what="account",
            update_interval=ACCOUNT_SCAN_INTERVAL,
            request=client.get_user_info,
        )


class SmsPilotSmsCountCoordinator(_SmsPilotCoordinator[int | None]):
    """Fetch the approximate number of SMS the balance pays for.

    It costs a request of its own, so it runs only while an entity listens to it.
    """

    def __init__(
        self, hass: HomeAssistant, entry: SmsPilotConfigEntry, client: SmsPilotClient
    ) -> None:
        """Set up the coordinator for one account."""
        super().__init__(
            hass,
            entry,
            client,
            what="SMS count",
            update_interval=SMS_COUNT_SCAN_INTERVAL,
            request=client.get_balance_sms,
        )
