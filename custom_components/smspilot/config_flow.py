"""Config flow for SMSPilot: API key check, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant import config_entries
from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    SmsPilotAccountBlockedError,
    SmsPilotAuthenticationError,
    SmsPilotClient,
    SmsPilotConnectionError,
    UserInfo,
)
from .chat_flow import ChatSubentryFlow
from .compat import HAS_OPTIONS_FLOW_WITH_RELOAD, vol
from .const import (
    API_KEY_URL,
    CONF_API_URL,
    CONF_DEFAULT_SENDER,
    DOMAIN,
    LOGGER,
    SUBENTRY_CHAT,
    SUBENTRY_RECIPIENT,
    default_api_url,
)
from .public_address import cloud_subscribed, external_url
from .subentry_flow import RecipientSubentryFlow

KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_ADVANCED = "advanced_options"


def _api_url(user_input: Mapping[str, Any], fallback: str) -> str:
    """Return the API address the user entered in the advanced section, or the fallback."""
    return str(user_input.get(SECTION_ADVANCED, {}).get(CONF_API_URL) or fallback)


class SmsPilotConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an SMSPilot account by its API key."""

    VERSION = 1
    # 1.2: every entry has a webhook id (added by async_migrate_entry).
    MINOR_VERSION = 2

    _title: str
    _data: dict[str, Any]

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Offer recipients (a name, a phone and SMS or voice) and chats with Assist."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow, SUBENTRY_CHAT: ChatSubentryFlow}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return SmsPilotOptionsFlow()

    async def _async_check(
        self, api_key: str, api_url: str
    ) -> tuple[UserInfo | None, dict[str, str]]:
        """Try the key with the user-info request; return the account or form errors."""
        client = SmsPilotClient(async_get_clientsession(self.hass), api_key, api_url=api_url)
        try:
            return await client.get_user_info(), {}
        except SmsPilotAuthenticationError:
            return None, {CONF_API_KEY: "invalid_auth"}
        except SmsPilotAccountBlockedError:
            return None, {"base": "account_blocked"}
        except SmsPilotConnectionError:
            return None, {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - the form must show 'unknown', not crash
            LOGGER.exception("Unexpected error while checking the SMSPilot API key")
            return None, {"base": "unknown"}

    def _key_schema(self, api_url: str) -> vol.Schema:
        """Build the form: the key, and the API address in a collapsed advanced section.

        Home Assistant replaced "advanced mode" with collapsed sections; almost nobody needs the
        address, so it stays folded away.
        """
        return vol.Schema(
            {
                vol.Required(CONF_API_KEY): KEY_SELECTOR,
                vol.Optional(SECTION_ADVANCED): section(
                    vol.Schema({vol.Required(CONF_API_URL, default=api_url): URL_SELECTOR}),
                    {"collapsed": True},
                ),
            }
        )

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the API key and check it."""
        errors: dict[str, str] = {}
        api_url = default_api_url()
        if user_input is not None:
            api_url = _api_url(user_input, api_url)
            info, errors = await self._async_check(user_input[CONF_API_KEY], api_url)
            if info is not None:
                await self.async_set_unique_id(info.id)
                self._abort_if_unique_id_configured()
                self._title = (
                    "SMSPilot" if not self._async_current_entries() else f"SMSPilot {info.id}"
                )
                self._data = {
                    CONF_API_KEY: user_input[CONF_API_KEY],
                    CONF_API_URL: api_url,
                    CONF_WEBHOOK_ID: webhook.async_generate_id(),
                }
                return await self.async_step_inbound()
        return self.async_show_form(
            step_id="user",
            data_schema=self._key_schema(api_url),
            errors=errors,
            description_placeholders={"api_key_url": API_KEY_URL},
        )

    async def async_step_inbound(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the address to paste into SMSPilot's inbound settings, then save.

        Nothing is created here: a Home Assistant Cloud address is made by the loaded account,
        so an abandoned flow leaves nothing behind.
        """
        if user_input is not None:
            return self.async_create_entry(title=self._title, data=self._data)
        if cloud_subscribed(self.hass):
            step_id, url = "inbound_cloud", ""
        elif url := external_url(self.hass, self._data[CONF_WEBHOOK_ID]) or "":
            step_id = "inbound"
        else:
            step_id = "inbound_no_url"
        return self.async_show_form(
            step_id=step_id, description_placeholders={"url": url}, last_step=True
        )

    async def async_step_inbound_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the account; Home Assistant Cloud gives it an address once it is loaded."""
        return await self.async_step_inbound(user_input)

    async def async_step_inbound_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the account when Home Assistant has no address SMSPilot can reach."""
        return await self.async_step_inbound(user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the stored key stops working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._async_check(
                user_input[CONF_API_KEY], entry.data[CONF_API_URL]
            )
            if info is not None:
                await self.async_set_unique_id(info.id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: user_input[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): KEY_SELECTOR}),
            errors=errors,
            description_placeholders={"title": entry.title, "api_key_url": API_KEY_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key (or the API address) of an existing account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        api_url: str = entry.data[CONF_API_URL]
        if user_input is not None:
            api_url = _api_url(user_input, api_url)
            info, errors = await self._async_check(user_input[CONF_API_KEY], api_url)
            if info is not None:
                await self.async_set_unique_id(info.id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_API_KEY: user_input[CONF_API_KEY], CONF_API_URL: api_url},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self._key_schema(api_url),
            errors=errors,
            description_placeholders={"title": entry.title, "api_key_url": API_KEY_URL},
        )


if HAS_OPTIONS_FLOW_WITH_RELOAD:
    _ReloadingOptionsFlow = config_entries.OptionsFlowWithReload
else:  # Home Assistant before 2025.8

    class _ReloadingOptionsFlow(OptionsFlow):  # type: ignore[no-redef]
        """Reload the entry once when the options change, as OptionsFlowWithReload does."""

        @override
        def async_create_entry(self, *, data: Mapping[str, Any], **kwargs: Any) -> ConfigFlowResult:
            """Save the options now and reload the entry once if they changed."""
            entry = self.config_entry
            if self.hass.config_entries.async_update_entry(entry, options=data):
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return super().async_create_entry(data=data, **kwargs)


class SmsPilotOptionsFlow(_ReloadingOptionsFlow):
    """Choose the account's default sender name; the entry reloads once when it changes."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the sender names registered with the account (the form changes nothing)."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        info: UserInfo | None = None
        url: str | None = None
        if runtime := getattr(self.config_entry, "runtime_data", None):
            info = runtime.coordinator.data
            url = runtime.address.url
        senders = list(info.senders) if info else []
        current = self.config_entry.options.get(
            CONF_DEFAULT_SENDER, info.default_sender if info else None
        )
        if current and current not in senders:
            senders.insert(0, current)
        if not senders:
            return self.async_abort(reason="no_senders")
        return self.async_show_form(
            step_id="init",
            description_placeholders={"url": url or "—"},
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_DEFAULT_SENDER, default=current or senders[0]
                    ): SelectSelector(
                        SelectSelectorConfig(options=senders, mode=SelectSelectorMode.DROPDOWN)
                    )
                }
            ),
        )
