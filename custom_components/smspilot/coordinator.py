"""Data update coordinators: the account's facts and the SMS count, each at its own pace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import SmsPilotAuthenticationError, SmsPilotClient, SmsPilotError, UserInfo
from .const import ACCOUNT_SCAN_INTERVAL, DOMAIN, LOGGER, SMS_COUNT_SCAN_INTERVAL
from .errors import update_error
from .health import AccountHealth


class _SmsPilotCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Poll one read request of an account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        health: AccountHealth,
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
        self._health = health
        self._request = request

    @override
    async def _async_update_data(self) -> DataT:
        """Make the request, turning client errors into coordinator errors."""
        try:
            data = await self._request()
        except SmsPilotAuthenticationError as err:
            # ConfigEntryAuthFailed makes Home Assistant ask for a new key.
            raise update_error(err) from err
        except SmsPilotError as err:
            self._health.report(err)
            raise update_error(err) from err
        self._health.ok()
        return data


class SmsPilotAccountCoordinator(_SmsPilotCoordinator[UserInfo]):
    """Keep the account's facts (balance, senders) fresh with the user-info request."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: SmsPilotClient,
        health: AccountHealth,
    ) -> None:
        """Set up the coordinator for one account."""
        super().__init__(
            hass,
            entry,
            health,
            what="account",
            update_interval=ACCOUNT_SCAN_INTERVAL,
            request=client.get_user_info,
        )


class SmsPilotSmsCountCoordinator(_SmsPilotCoordinator[int | None]):
    """Fetch the approximate number of SMS the balance pays for.

    It costs a request of its own, so it runs only while an entity listens to it.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: SmsPilotClient,
        health: AccountHealth,
    ) -> None:
        """Set up the coordinator for one account."""
        super().__init__(
            hass,
            entry,
            health,
            what="SMS count",
            update_interval=SMS_COUNT_SCAN_INTERVAL,
            request=client.get_balance_sms,
        )
