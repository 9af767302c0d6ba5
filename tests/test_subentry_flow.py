"""Tests for adding, editing and removing recipients (config subentries) of an account."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN, SERVICE_SEND_MESSAGE
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smspilot.const import (
    CHANNEL_SMS,
    CHANNEL_VOICE,
    CONF_CHANNEL,
    CONF_PHONE,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from smspilot_emulator import Emulator, RecordedRequest

MOM = "79161111111"


def sends(emulator: Emulator) -> list[RecordedRequest]:
    """Return the emulator's requests that sent something."""
    return [request for request in emulator.requests if "send" in request.params]


async def add_recipient(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Run the add-recipient flow with one form submission and return the result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    return dict(result)


async def reconfigure_recipient(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Run the edit-recipient flow with one form submission and return the result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    return dict(result)


def only_recipient_id(entry: MockConfigEntry) -> str:
    """Return the id of the entry's single recipient."""
    [subentry_id] = entry.subentries
    return subentry_id


async def test_add_recipient(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A new recipient is stored with a normalized phone and becomes a notify entity."""
    result = await add_recipient(
        hass,
        init_integration,
        {"name": " Mom ", CONF_PHONE: "+7 (916) 111-11-11", CONF_CHANNEL: CHANNEL_SMS},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Mom"
    assert result["data"] == {CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    subentry_id = only_recipient_id(init_integration)
    subentry = init_integration.subentries[subentry_id]
    assert subentry.subentry_type == SUBENTRY_RECIPIENT
    assert subentry.unique_id == f"{CHANNEL_SMS}_{MOM}"

    # Adding a recipient reloads the account, and the entity comes with it.
    assert init_integration.state is ConfigEntryState.LOADED
    entity = er.async_get(hass).async_get("notify.mom")
    assert entity is not None
    assert entity.unique_id == subentry_id
    assert entity.config_subentry_id == subentry_id
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device is not None
    assert device.name == "Mom"
    assert hass.states.get("notify.mom") is not None

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.mom", "message": "Hello"},
        blocking=True,
    )
    [request] = sends(emulator)
    assert request.params["to"] == MOM
    assert request.params["send"] == "Hello"


async def test_add_voice_recipient(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A voice recipient is called, and the account's voice service reaches it too."""
    result = await add_recipient(
        hass, init_integration, {"name": "Dad", CONF_PHONE: "79162222222", CONF_CHANNEL: "voice"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY

    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.dad", "message": "Gate"},
        blocking=True,
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN, "smspilot_voice", {"message": "Gate again"}, blocking=True
    )
    first, second = sends(emulator)
    for request in (first, second):
        assert request.params["to"] == "79162222222"
        assert request.params["from"] == "GOLOS"


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("12", "invalid_phone"),
        ("not a number", "invalid_phone"),
        ("   ", "invalid_phone"),
        ("+7 800 555-35-35", "service_number"),
    ],
)
async def test_bad_phone_shows_error_and_recovers(
    hass: HomeAssistant, init_integration: MockConfigEntry, phone: str, error: str
) -> None:
    """A phone that can't be used keeps the form open with a translated error."""
    result = await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: phone, CONF_CHANNEL: CHANNEL_SMS}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PHONE: error}
    translations = await async_get_translations(hass, "en", "config_subentries", [DOMAIN])
    key = f"component.{DOMAIN}.config_subentries.{SUBENTRY_RECIPIENT}.error.{error}"
    assert translations[key]
    # The user's input stays in the form.
    suggested = {
        str(field): field.description["suggested_value"]
        for field in result["data_schema"].schema
        if field.description
    }
    assert suggested[CONF_PHONE] == phone

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hass.states.get("notify.mom") is not None


async def test_blank_name_shows_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A name of spaces only is refused."""
    result = await add_recipient(
        hass, init_integration, {"name": "  ", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": "name_required"}


async def test_duplicate_phone_and_channel_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The same number cannot be added twice for the same channel; another channel is fine."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )

    result = await add_recipient(
        hass,
        init_integration,
        {"name": "Mother", CONF_PHONE: "8 916 111 11 11", CONF_CHANNEL: CHANNEL_SMS},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await add_recipient(
        hass,
        init_integration,
        {"name": "Mom (call)", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_VOICE},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(init_integration.subentries) == 2


async def test_edit_recipient(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Editing changes the name, phone and channel, and the entity follows."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )
    subentry_id = only_recipient_id(init_integration)

    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    # The form starts with the recipient's current values.
    suggested = {
        str(field): field.description["suggested_value"]
        for field in result["data_schema"].schema
        if field.description
    }
    assert suggested == {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mama", CONF_PHONE: "+79164444444", CONF_CHANNEL: "voice"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"

    subentry = init_integration.subentries[subentry_id]
    assert subentry.title == "Mama"
    assert dict(subentry.data) == {CONF_PHONE: "79164444444", CONF_CHANNEL: CHANNEL_VOICE}
    assert subentry.unique_id == f"{CHANNEL_VOICE}_79164444444"
    assert init_integration.state is ConfigEntryState.LOADED

    # Same entity (its id is the subentry id), renamed device, new phone and channel.
    entity = er.async_get(hass).async_get("notify.mom")
    assert entity is not None
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device is not None
    assert device.name == "Mama"
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.mom", "message": "Hi"},
        blocking=True,
    )
    [request] = sends(emulator)
    assert request.params["to"] == "79164444444"
    assert request.params["from"] == "GOLOS"


async def test_edit_only_the_name(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Keeping the phone and channel is not a duplicate of itself."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )
    subentry_id = only_recipient_id(init_integration)

    result = await reconfigure_recipient(
        hass,
        init_integration,
        subentry_id,
        {"name": "Mother", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS},
    )

    assert result["reason"] == "reconfigure_successful"
    assert init_integration.subentries[subentry_id].title == "Mother"


async def test_edit_into_a_duplicate_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Editing a recipient into another one's phone and channel is refused."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )
    [mom_id] = init_integration.subentries
    await add_recipient(
        hass, init_integration, {"name": "Dad", CONF_PHONE: "79162222222", CONF_CHANNEL: "sms"}
    )
    [dad_id] = set(init_integration.subentries) - {mom_id}

    result = await reconfigure_recipient(
        hass, init_integration, dad_id, {"name": "Dad", CONF_PHONE: MOM, CONF_CHANNEL: "sms"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert init_integration.subentries[dad_id].data[CONF_PHONE] == "79162222222"


async def test_edit_with_bad_phone_shows_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The edit form refuses a bad phone like the add form."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )

    result = await reconfigure_recipient(
        hass,
        init_integration,
        only_recipient_id(init_integration),
        {"name": "Mom", CONF_PHONE: "123", CONF_CHANNEL: CHANNEL_SMS},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PHONE: "invalid_phone"}


async def test_remove_recipient(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Removing a recipient removes its entity and device, and the account stays."""
    await add_recipient(
        hass, init_integration, {"name": "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
    )
    entity = er.async_get(hass).async_get("notify.mom")
    assert entity is not None
    device_id = entity.device_id
    assert device_id is not None

    assert hass.config_entries.async_remove_subentry(
        init_integration, only_recipient_id(init_integration)
    )
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.mom") is None
    assert er.async_get(hass).async_get("notify.mom") is None
    assert dr.async_get(hass).async_get(device_id) is None
    # The account's own entities and device are untouched.
    assert hass.states.get("sensor.smspilot_balance") is not None
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot")
    assert sends(emulator) == []


async def test_recipient_translations(hass: HomeAssistant) -> None:
    """The recipient flow has its texts in English and Russian."""
    for language in ("en", "ru"):
        translations = await async_get_translations(hass, language, "config_subentries", [DOMAIN])
        prefix = f"component.{DOMAIN}.config_subentries.{SUBENTRY_RECIPIENT}"
        for key in (
            "initiate_flow.user",
            "entry_type",
            "step.user.data.phone",
            "step.reconfigure.data.phone",
            "error.invalid_phone",
            "abort.already_configured",
        ):
            assert translations[f"{prefix}.{key}"], (language, key)
