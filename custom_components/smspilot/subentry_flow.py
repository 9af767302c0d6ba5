"""Add, edit and remove the people an SMSPilot account sends to (config subentries)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .const import CHANNEL_SMS, CHANNEL_VOICE, CONF_CHANNEL, CONF_PHONE, SUBENTRY_RECIPIENT
from .phone import PhoneNumberError, PhoneNumberProblem, home_country, normalize_phone

NAME_SELECTOR = TextSelector()
PHONE_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
CHANNEL_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[CHANNEL_SMS, CHANNEL_VOICE],
        mode=SelectSelectorMode.LIST,
        translation_key="recipient_channel",
    )
)


def recipient_unique_id(phone: str, channel: str) -> str:
    """Return the id that keeps one phone from being added twice for the same channel."""
    return f"{channel}_{phone}"


def check_name_and_phone(
    hass: HomeAssistant, user_input: dict[str, Any]
) -> tuple[str, str, dict[str, str]]:
    """Return the cleaned name and international phone of a form, and its errors."""
    name = user_input[CONF_NAME].strip()
    errors: dict[str, str] = {}
    if not name:
        errors[CONF_NAME] = "name_required"
    try:
        phone = normalize_phone(user_input[CONF_PHONE], home_country(hass))
    except PhoneNumberError as err:
        phone = ""
        errors[CONF_PHONE] = (
            "service_number"
            if err.problem is PhoneNumberProblem.SERVICE_NUMBER
            else "invalid_phone"
        )
    return name, phone, errors


def async_save_subentry(
    flow: ConfigSubentryFlow,
    entry: ConfigEntry[Any],
    editing: ConfigSubentry | None,
    *,
    name: str,
    data: dict[str, Any],
    unique_id: str,
    subentry_type: str,
) -> SubentryFlowResult:
    """Add or update a subentry, refusing one whose unique id another of its type has."""
    if any(
        subentry.unique_id == unique_id
        for subentry in entry.subentries.values()
        if subentry.subentry_type == subentry_type
        and (editing is None or subentry.subentry_id != editing.subentry_id)
    ):
        return flow.async_abort(reason="already_configured")
    if editing is None:
        return flow.async_create_entry(title=name, data=data, unique_id=unique_id)
    return flow.async_update_and_abort(entry, editing, title=name, data=data, unique_id=unique_id)


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Ask for a recipient's name, phone and channel (SMS or voice call)."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_step_recipient("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient's name, phone or channel."""
        return await self._async_step_recipient("reconfigure", user_input)

    def _check(self, user_input: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, str]]:
        """Return the cleaned name, the subentry data and the form errors."""
        name, phone, errors = check_name_and_phone(self.hass, user_input)
        return name, {CONF_PHONE: phone, CONF_CHANNEL: user_input[CONF_CHANNEL]}, errors

    async def _async_step_recipient(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """Show the recipient form, check the phone and save."""
        entry = self._get_entry()
        editing = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        errors: dict[str, str] = {}
        if user_input is not None:
            name, data, errors = self._check(user_input)
            if not errors:
                return async_save_subentry(
                    self,
                    entry,
                    editing,
                    name=name,
                    data=data,
                    unique_id=recipient_unique_id(data[CONF_PHONE], data[CONF_CHANNEL]),
                    subentry_type=SUBENTRY_RECIPIENT,
                )
        elif editing is not None:
            user_input = {CONF_NAME: editing.title, **editing.data}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_NAME): NAME_SELECTOR,
                        vol.Required(CONF_PHONE): PHONE_SELECTOR,
                        vol.Required(CONF_CHANNEL, default=CHANNEL_SMS): CHANNEL_SELECTOR,
                    }
                ),
                user_input,
            ),
            errors=errors,
        )
