"""Add and edit the account's chats with Assist (config subentries, one per phone number)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    ConversationAgentSelector,
    ConversationAgentSelectorConfig,
    LanguageSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .const import (
    CONF_AGENT_ID,
    CONF_DAY_LIMIT,
    CONF_HOUR_LIMIT,
    CONF_LANGUAGE,
    CONF_MAX_PARTS,
    CONF_PHONE,
    CONF_PIN,
    CONF_USER_ID,
    DEFAULT_AGENT_ID,
    DEFAULT_DAY_LIMIT,
    DEFAULT_HOUR_LIMIT,
    DEFAULT_MAX_PARTS,
    SUBENTRY_CHAT,
)
from .subentry_flow import async_save_subentry, check_name_and_phone

SECTION_LIMITS = "limits"
_LIMIT_KEYS = (CONF_HOUR_LIMIT, CONF_DAY_LIMIT)


def chat_unique_id(phone: str) -> str:
    """Return the id that keeps one phone from having two chats."""
    return f"chat_{phone}"


def _number(low: int, high: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
    )


class ChatSubentryFlow(ConfigSubentryFlow):
    """Ask for a chat's name, phone, user, agent, language, PIN and limits."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a chat."""
        return await self._async_step_chat("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a chat."""
        return await self._async_step_chat("reconfigure", user_input)

    async def _users(self) -> list[SelectOptionDict]:
        """Return the people whose permissions Assist may act with (no system users)."""
        users = await self.hass.auth.async_get_users()
        return [
            SelectOptionDict(value=user.id, label=user.name or user.id)
            for user in users
            if not user.system_generated and user.is_active
        ]

    def _check(
        self, user_input: dict[str, Any], user_ids: set[str]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Return the cleaned name, the subentry data and the form errors."""
        name, phone, errors = check_name_and_phone(self.hass, user_input)
        if user_input[CONF_USER_ID] not in user_ids:
            errors[CONF_USER_ID] = "unknown_user"
        pin = str(user_input.get(CONF_PIN) or "").strip()
        if any(char.isspace() for char in pin):
            errors[CONF_PIN] = "pin_spaces"
        limits = user_input.get(SECTION_LIMITS, {})
        data = {
            CONF_PHONE: phone,
            CONF_USER_ID: user_input[CONF_USER_ID],
            CONF_AGENT_ID: user_input.get(CONF_AGENT_ID) or DEFAULT_AGENT_ID,
            CONF_LANGUAGE: user_input.get(CONF_LANGUAGE) or self.hass.config.language,
            CONF_PIN: pin,
            CONF_MAX_PARTS: int(user_input.get(CONF_MAX_PARTS, DEFAULT_MAX_PARTS)),
            CONF_HOUR_LIMIT: int(limits.get(CONF_HOUR_LIMIT, DEFAULT_HOUR_LIMIT)),
            CONF_DAY_LIMIT: int(limits.get(CONF_DAY_LIMIT, DEFAULT_DAY_LIMIT)),
        }
        return name, data, errors

    async def _async_step_chat(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """Show the chat form, check it and save."""
        entry = self._get_entry()
        editing = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        users = await self._users()
        errors: dict[str, str] = {}
        if user_input is not None:
            name, data, errors = self._check(user_input, {option["value"] for option in users})
            if not errors:
                return async_save_subentry(
                    self,
                    entry,
                    editing,
                    name=name,
                    data=data,
                    unique_id=chat_unique_id(data[CONF_PHONE]),
                    subentry_type=SUBENTRY_CHAT,
                )
        elif editing is not None:
            saved = dict(editing.data)
            user_input = {
                CONF_NAME: editing.title,
                **saved,
                SECTION_LIMITS: {key: saved[key] for key in _LIMIT_KEYS if key in saved},
            }
        language = self.hass.config.language
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_PHONE): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.TEL)
                ),
                vol.Required(CONF_USER_ID): SelectSelector(
                    SelectSelectorConfig(options=users, mode=SelectSelectorMode.DROPDOWN)
                ),
                vol.Required(CONF_AGENT_ID, default=DEFAULT_AGENT_ID): ConversationAgentSelector(
                    ConversationAgentSelectorConfig(language=language)
                ),
                vol.Required(CONF_LANGUAGE, default=language): LanguageSelector(),
                vol.Optional(CONF_PIN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
                vol.Required(CONF_MAX_PARTS, default=DEFAULT_MAX_PARTS): _number(1, 10),
                vol.Required(SECTION_LIMITS): section(
                    vol.Schema(
                        {
                            vol.Required(CONF_HOUR_LIMIT, default=DEFAULT_HOUR_LIMIT): _number(
                                1, 100
                            ),
                            vol.Required(CONF_DAY_LIMIT, default=DEFAULT_DAY_LIMIT): _number(
                                1, 1000
                            ),
                        }
                    ),
                    {"collapsed": True},
                ),
            }
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )
