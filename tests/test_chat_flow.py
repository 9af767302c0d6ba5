"""Tests for adding, editing and removing chats with Assist (config subentries)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.auth.models import User
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.config_flow import SmsPilotConfigFlow
from custom_components.smspilot.const import (
    CONF_AGENT_ID,
    CONF_DAY_LIMIT,
    CONF_HOUR_LIMIT,
    CONF_LANGUAGE,
    CONF_MAX_PARTS,
    CONF_PHONE,
    CONF_PIN,
    CONF_USER_ID,
    DOMAIN,
    EVENT_CHAT,
    SUBENTRY_CHAT,
)
from smspilot_emulator import Emulator

from .inbound_helpers import inbound_form, post_form, serve_http, setup_account, webhook_path

MOM = "79161111111"


@pytest.fixture
async def guest(hass: HomeAssistant) -> User:
    """Return a non-administrator Home Assistant user."""
    return await hass.auth.async_create_user("Guest", group_ids=["system-users"])


async def add_chat(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Run the add-chat flow with one form submission and return the result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CHAT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    return dict(result)


def chat_input(user: User, **overrides: Any) -> dict[str, Any]:
    """Return a filled-in chat form."""
    return {
        "name": " Mom ",
        CONF_PHONE: "+7 (916) 111-11-11",
        CONF_USER_ID: user.id,
        CONF_AGENT_ID: "conversation.home_assistant",
        CONF_LANGUAGE: "en",
        CONF_MAX_PARTS: 2,
        "limits": {CONF_HOUR_LIMIT: 10, CONF_DAY_LIMIT: 50},
    } | overrides


def test_chat_is_a_supported_subentry_type() -> None:
    """Accounts offer chats next to recipients."""
    types = SmsPilotConfigFlow.async_get_supported_subentry_types(None)  # type: ignore[arg-type]
    assert SUBENTRY_CHAT in types


async def test_add_chat(
    hass: HomeAssistant, init_integration: MockConfigEntry, guest: User
) -> None:
    """A chat is stored with a normalised phone, a unique id and flat limits."""
    result = await add_chat(hass, init_integration, chat_input(guest, pin=" 1234 "))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = init_integration.subentries.values()
    assert subentry.title == "Mom"
    assert subentry.unique_id == f"chat_{MOM}"
    assert dict(subentry.data) == {
        CONF_PHONE: MOM,
        CONF_USER_ID: guest.id,
        CONF_AGENT_ID: "conversation.home_assistant",
        CONF_LANGUAGE: "en",
        CONF_PIN: "1234",
        CONF_MAX_PARTS: 2,
        CONF_HOUR_LIMIT: 10,
        CONF_DAY_LIMIT: 50,
    }


async def test_form_offers_only_real_active_users(
    hass: HomeAssistant, init_integration: MockConfigEntry, guest: User
) -> None:
    """System users and inactive users are not offered; defaults are Home Assistant's."""
    inactive = await hass.auth.async_create_user("Gone", group_ids=["system-users"])
    await hass.auth.async_deactivate_user(inactive)
    await hass.auth.async_create_system_user("Robot")
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_CHAT), context={"source": SOURCE_USER}
    )
    schema = result["data_schema"].schema
    user_key = next(key for key in schema if key == CONF_USER_ID)
    options = schema[user_key].config["options"]
    assert [option["label"] for option in options] == ["Guest"]
    defaults = {str(key): key.default() for key in schema if callable(key.default)}
    assert defaults[CONF_AGENT_ID] == "conversation.home_assistant"
    assert defaults[CONF_LANGUAGE] == hass.config.language
    assert defaults[CONF_MAX_PARTS] == 2


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({CONF_PHONE: "12"}, CONF_PHONE, "invalid_phone"),
        ({CONF_PHONE: "8 800 555-35-35"}, CONF_PHONE, "service_number"),
        ({"name": "  "}, "name", "name_required"),
        ({CONF_PIN: "12 34"}, CONF_PIN, "pin_spaces"),
    ],
)
async def test_form_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    guest: User,
    overrides: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """Bad input is refused on the form."""
    result = await add_chat(hass, init_integration, chat_input(guest, **overrides))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not init_integration.subentries


async def test_one_chat_per_phone(
    hass: HomeAssistant, init_integration: MockConfigEntry, guest: User
) -> None:
    """A second chat for the same phone (in another notation) is refused."""
    await add_chat(hass, init_integration, chat_input(guest))
    result = await add_chat(hass, init_integration, chat_input(guest, phone="89161111111"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_chat(
    hass: HomeAssistant, init_integration: MockConfigEntry, guest: User
) -> None:
    """Editing shows the saved values and stores the changes."""
    await add_chat(hass, init_integration, chat_input(guest))
    (subentry_id,) = init_integration.subentries
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_CHAT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested[CONF_PHONE] == MOM
    limits = next(v for k, v in result["data_schema"].schema.items() if k == "limits")
    assert {str(key): key.description["suggested_value"] for key in limits.schema.schema} == {
        CONF_HOUR_LIMIT: 10,
        CONF_DAY_LIMIT: 50,
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        chat_input(guest, name="Mother", limits={CONF_HOUR_LIMIT: 3, CONF_DAY_LIMIT: 5}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = init_integration.subentries[subentry_id]
    assert subentry.title == "Mother"
    assert subentry.data[CONF_HOUR_LIMIT] == 3


async def test_chat_added_and_removed_without_reload(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    guest: User,
) -> None:
    """A chat answers as soon as it is added, and stops as soon as it is removed."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"gate": {"name": "Gate"}}}
    )
    async_expose_entity(hass, "conversation", "input_boolean.gate", True)
    entry = await setup_account(hass, mock_config_entry)
    client: TestClient = await serve_http(hass, hass_client_no_auth)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_CHAT, events.append)

    async def sms(sms_id: int) -> None:
        form = inbound_form(sms_id, phone=MOM, message="turn on the gate")
        assert await post_form(client, webhook_path(entry), form) == 200
        await hass.async_block_till_done(wait_background_tasks=True)

    await sms(1)
    assert not events
    await add_chat(hass, entry, chat_input(guest))
    await sms(2)
    assert len(events) == 1
    assert hass.states.get("input_boolean.gate").state == "on"  # type: ignore[union-attr]
    (subentry_id,) = entry.subentries
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    await sms(3)
    assert len(events) == 1


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_translations_complete(hass: HomeAssistant, language: str) -> None:
    """The chat form, its errors, the issue and the chat texts exist in English and Russian."""
    prefix = f"component.{DOMAIN}"
    subentries = await async_get_translations(hass, language, "config_subentries", {DOMAIN})
    for step in ("user", "reconfigure"):
        for field in ("name", "phone", "user_id", "agent_id", "language", "pin", "max_parts"):
            assert f"{prefix}.config_subentries.chat.step.{step}.data.{field}" in subentries
            assert (
                f"{prefix}.config_subentries.chat.step.{step}.data_description.{field}"
                in subentries
            )
        for field in (CONF_HOUR_LIMIT, CONF_DAY_LIMIT):
            key = f"{prefix}.config_subentries.chat.step.{step}.sections.limits.data.{field}"
            assert key in subentries
    issues = await async_get_translations(hass, language, "issues", {DOMAIN})
    assert f"{prefix}.issues.no_survey_template.title" in issues
    exceptions = await async_get_translations(hass, language, "exceptions", {DOMAIN})
    for key in ("chat_limited", "chat_no_answer", "logbook_chat", "logbook_chat_unanswered"):
        assert f"{prefix}.exceptions.{key}.message" in exceptions
