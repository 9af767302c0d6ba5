"""The account's public webhook address: Home Assistant Cloud or the external URL.

A Home Assistant Cloud webhook (cloudhook) is made only by a loaded account, the way the
mobile app integration does it: get-or-create once the cloud is connected, follow the
connection and the cloudhook (deleted in the cloud settings), and forget it on log-out.
The repair issue appears only when there really is no address SMSPilot could call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_CLOUDHOOK_URL, DOMAIN, ISSUE_NO_PUBLIC_URL, LOGGER

REMOTE_ACCESS_URL: Final = "https://www.home-assistant.io/docs/configuration/remote/"

# Home Assistant Cloud is imported only once it is set up: importing it pulls in voice
# packages that are installed only where the cloud component was set up.


def cloud_subscribed(hass: HomeAssistant) -> bool:
    """Tell whether Home Assistant Cloud is set up with an active subscription."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415 - see above

    return cloud.async_active_subscription(hass)


def external_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook's address on Home Assistant's external URL, if one is set."""
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_internal=False, allow_ip=True)
    except NoURLAvailableError:
        return None


def no_url_issue_id(entry_id: str) -> str:
    """Return the id of the account's missing-address repair issue."""
    return f"{ISSUE_NO_PUBLIC_URL}_{entry_id}"


class PublicAddress:
    """Find, follow and announce the address SMSPilot should call for one account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        on_change: Callable[[str | None], None],
    ) -> None:
        """Follow the address of one loaded account; `on_change` hears every new value."""
        self._hass = hass
        self._entry = entry
        self._webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self._on_change = on_change
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self.url: str | None = None
        self._cloud_listening = False
        # False once the user deleted the cloudhook in the cloud settings: it is not made
        # again until the cloud connects anew.
        self._may_create = True

    async def async_start(self) -> None:
        """Look up the address once, then follow Home Assistant's URLs and the cloud."""
        self._unsubscribe.append(
            self._hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._core_config_updated)
        )
        await self._async_refresh()

    @callback
    def async_stop(self) -> None:
        """Stop following (the entry unloads); an unloaded account needs no address."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._cloud_listening = False
        ir.async_delete_issue(self._hass, DOMAIN, no_url_issue_id(self._entry.entry_id))

    async def _async_refresh(self) -> None:
        """Work out the address, announce it and raise or clear the repair issue."""
        url: str | None = None
        waiting_for_cloud = False
        if cloud_subscribed(self._hass):
            self._listen_to_cloud()
            url, waiting_for_cloud = await self._async_cloudhook()
        elif (
            CONF_CLOUDHOOK_URL in self._entry.data
            and "cloud" in self._hass.config.components
            and not self._cloud_logged_in()
        ):
            # Logged out of the cloud: its address no longer reaches this Home Assistant.
            self._store_cloudhook(None)
        url = url or external_url(self._hass, self._webhook_id)
        self._set_issue(url is None and not waiting_for_cloud)
        if url != self.url:
            LOGGER.debug("Public webhook address %s", "found" if url else "missing")
            self.url = url
            self._on_change(url)

    async def _async_cloudhook(self) -> tuple[str | None, bool]:
        """Return the cloudhook (get or create it when connected) and whether one is coming."""
        from homeassistant.components import cloud  # noqa: PLC0415 - see the note above

        stored: str | None = self._entry.data.get(CONF_CLOUDHOOK_URL)
        if not cloud.async_is_connected(self._hass):
            # At boot the cloud connects a little later; a stored hook works once it does.
            return stored, stored is None
        if stored or not self._may_create:
            return stored, False
        try:
            url = await cloud.async_get_or_create_cloudhook(self._hass, self._webhook_id)
        except cloud.CloudNotAvailable as err:  # disconnected or logged out meanwhile
            LOGGER.debug("Home Assistant Cloud gave no webhook address: %s", type(err).__name__)
            return None, True
        except Exception as err:  # noqa: BLE001 - the cloud's own errors; tried again on reconnect
            LOGGER.warning("Home Assistant Cloud could not make a webhook address: %s", err)
            return None, True
        self._store_cloudhook(url)
        return url, False

    def _cloud_logged_in(self) -> bool:
        if "cloud" not in self._hass.config.components:
            return False
        from homeassistant.components import cloud  # noqa: PLC0415 - see the note above

        return cloud.async_is_logged_in(self._hass)

    def _listen_to_cloud(self) -> None:
        """Follow the cloud connection and, where Home Assistant offers it, the cloudhook."""
        if self._cloud_listening:
            return
        from homeassistant.components import cloud  # noqa: PLC0415 - see the note above

        self._cloud_listening = True

        async def connection_changed(state: cloud.CloudConnectionState) -> None:
            if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
                self._may_create = True
            await self._async_refresh()

        self._unsubscribe.append(
            cloud.async_listen_connection_change(self._hass, connection_changed)
        )
        if listen := getattr(cloud, "async_listen_cloudhook_change", None):  # 2025.10 and newer
            self._unsubscribe.append(listen(self._hass, self._webhook_id, self._cloudhook_changed))

    @callback
    def _cloudhook_changed(self, hook: dict[str, Any] | None) -> None:
        """Follow a cloudhook changed or deleted in the cloud settings."""
        url = hook.get(CONF_CLOUDHOOK_URL) if hook else None
        if url == self._entry.data.get(CONF_CLOUDHOOK_URL):
            return
        self._store_cloudhook(url)
        if url is None:
            # A hook the user deleted is not made again until the cloud reconnects.
            self._may_create = False
        self._entry.async_create_background_task(
            self._hass, self._async_refresh(), f"{DOMAIN} cloudhook change"
        )

    @callback
    def _core_config_updated(self, _event: Event) -> None:
        """Look again when the user changes Home Assistant's URLs."""
        self._entry.async_create_background_task(
            self._hass, self._async_refresh(), f"{DOMAIN} public address"
        )

    def _store_cloudhook(self, url: str | None) -> None:
        """Keep the cloudhook in the entry's data (no reload: nothing listens for updates)."""
        data = {key: value for key, value in self._entry.data.items() if key != CONF_CLOUDHOOK_URL}
        if url:
            data[CONF_CLOUDHOOK_URL] = url
        self._hass.config_entries.async_update_entry(self._entry, data=data)

    def _set_issue(self, missing: bool) -> None:
        issue_id = no_url_issue_id(self._entry.entry_id)
        if not missing:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NO_PUBLIC_URL,
            translation_placeholders={"title": self._entry.title},
            learn_more_url=REMOTE_ACCESS_URL,
        )


async def async_remove_public_address(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Delete a removed account's cloudhook and repair issue."""
    ir.async_delete_issue(hass, DOMAIN, no_url_issue_id(entry.entry_id))
    if CONF_CLOUDHOOK_URL not in entry.data or "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415 - see the note above

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except (cloud.CloudNotAvailable, ValueError) as err:
        # Logged out of the cloud, or the hook is already gone: nothing left to delete.
        LOGGER.debug("No cloud webhook address to delete: %s", type(err).__name__)
