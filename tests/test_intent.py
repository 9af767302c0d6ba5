"""Tests for the Assist intent SmsPilotSendMessage and its LLM tool."""

# Russian texts: Cyrillic letters that look Latin are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import dataclasses
from decimal import Decimal
import importlib.util
import logging
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from hassil import Intents, recognize
from hassil.intents import TextSlotList
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent, llm
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.smspilot import intent as intent_module
from custom_components.smspilot.const import (
    CHANNEL_SMS,
    CHANNEL_VOICE,
    CONF_API_URL,
    DOMAIN,
)
from custom_components.smspilot.intent import DESCRIPTION, INTENT_SEND_MESSAGE
from smspilot_emulator import DEMO_API_KEY, Emulator
from tests.recipient_helpers import DAD, MOM, recipient, sends, with_family

try:  # Home Assistant 2026: probatio converts schemas itself.
    from probatio import to_openapi
except ImportError:  # Home Assistant before 2026
    from voluptuous_openapi import convert as to_openapi

SECOND_KEY = "SECONDKEY0000000000000000000000000000000000000000000000000000000"
REPO = Path(__file__).resolve().parents[1]
# Newer releases (2026.10) build the Assist API from the integrations' llm platforms.
HAS_LLM_PLATFORMS = importlib.util.find_spec("homeassistant.components.llm") is not None
INTENT_KEYS = (
    "no_account_loaded",
    "intent_sent",
    "intent_sent_cost_unknown",
    "intent_send_failed",
    "intent_no_recipients",
    "intent_unknown_recipient",
    "intent_recipient_in_several_accounts",
    "intent_recipient_ambiguous",
    "intent_unknown_account",
)


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the demo account with two SMS recipients and one voice recipient."""
    return with_family(mock_config_entry)


async def send(
    hass: HomeAssistant, recipient_name: str, message: str, language: str = "en", **extra: str
) -> intent.IntentResponse:
    """Handle the intent as a conversation agent would."""
    slots = {"recipient": {"value": recipient_name}, "message": {"value": message}}
    slots.update({key: {"value": value} for key, value in extra.items()})
    response = await intent.async_handle(
        hass, "conversation", INTENT_SEND_MESSAGE, slots, language=language
    )
    await hass.async_block_till_done()
    return response


def speech(response: intent.IntentResponse) -> str:
    """Return the plain speech of a response."""
    return str(response.speech["plain"]["speech"])


async def add_second_account(
    hass: HomeAssistant, emulator: Emulator, *subentries: dict[str, Any]
) -> MockConfigEntry:
    """Add and load a second SMSPilot account with these recipients."""
    account = emulator.add_account(SECOND_KEY, balance=Decimal("50.00"))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        unique_id=str(account.user_id),
        data={
            CONF_API_KEY: SECOND_KEY,
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: "1f5a2d9c4e7b41a8b3c6d1e2f3a4b5c7",
        },
        subentries_data=list(subentries),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


# Sending


@pytest.mark.usefixtures("init_integration")
async def test_send_by_name(hass: HomeAssistant, emulator: Emulator) -> None:
    """One SMS goes to the named recipient's saved number; the answer names it and the cost."""
    response = await send(hass, "mom", "I'm late")
    [request] = sends(emulator)
    assert request.params["to"] == MOM
    assert request.params["send"] == "I'm late"
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert speech(response) == "Sent an SMS to Mom: “I'm late”. It cost 1.31 roubles."
    assert [(target.name, target.id) for target in response.success_results] == [("Mom", "mom")]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("language", ["ru", "ru-RU"])
async def test_send_by_name_in_russian(
    hass: HomeAssistant, emulator: Emulator, language: str
) -> None:
    """The answer is in the conversation's language, with a decimal comma."""
    response = await send(hass, "MOM", "Я опаздываю", language)
    [request] = sends(emulator)
    assert request.params["to"] == MOM
    assert request.params["send"] == "Я опаздываю"
    assert (
        speech(response) == "SMS получателю «Mom» отправлено: «Я опаздываю». Стоимость: 1,31 руб."
    )


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("name", ["Ghost", "Dad", "+79161111111", MOM, "8 916 111-11-11"])
async def test_unknown_recipient_sends_nothing(
    hass: HomeAssistant, emulator: Emulator, name: str
) -> None:
    """Unknown names, voice recipients and phone numbers are refused, naming the recipients."""
    response = await send(hass, name, "I'm late")
    assert sends(emulator) == []
    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert speech(response) == (
        f"There is no SMS recipient named {name}, so nothing was sent. "
        "The SMS recipients are: Kid, Mom."
    )


async def test_cost_unknown(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A send answer without a cost is reported as such."""
    sender = init_integration.runtime_data.sender
    with patch.object(sender, "async_send", return_value={"cost": None}) as async_send:
        response = await send(hass, "Mom", "I'm late")
    async_send.assert_awaited_once_with("sms", f"+{MOM}", "I'm late")
    assert speech(response) == "Sent an SMS to Mom: “I'm late”. SMSPilot did not say what it cost."


@pytest.mark.usefixtures("init_integration")
async def test_unknown_recipient_in_russian(hass: HomeAssistant, emulator: Emulator) -> None:
    """The refusal is translated as well."""
    response = await send(hass, "маме", "Я опаздываю", "ru")
    assert sends(emulator) == []
    assert speech(response) == (
        "Получателя SMS с именем «маме» нет, ничего не отправлено. Получатели SMS: Kid, Mom."
    )


async def test_no_account_loaded(hass: HomeAssistant) -> None:
    """Without a loaded account the intent answers with an error and sends nothing."""
    assert await async_setup_component(hass, DOMAIN, {})
    response = await send(hass, "Mom", "I'm late")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert speech(response).startswith("No SMSPilot account is loaded.")
    response = await send(hass, "Mom", "Я опаздываю", "ru")
    assert speech(response).startswith("Нет ни одной загруженной учётной записи SMSPilot.")


async def test_no_sms_recipients(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """An account without SMS recipients says so."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[recipient("dad", "Dad", DAD, CHANNEL_VOICE)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    response = await send(hass, "Dad", "Hi")
    assert sends(emulator) == []
    assert speech(response).startswith("There are no SMS recipients to send to.")


@pytest.mark.usefixtures("init_integration")
async def test_same_name_in_two_accounts(hass: HomeAssistant, emulator: Emulator) -> None:
    """A name two accounts share is refused until the account is named."""
    await add_second_account(hass, emulator, recipient("mom2", "mom", "79164444444", CHANNEL_SMS))
    response = await send(hass, "Mom", "I'm late")
    assert sends(emulator) == []
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response) == (
        "Several SMSPilot accounts have an SMS recipient named Mom: Second, SMSPilot. "
        "Say which account to send from."
    )

    response = await send(hass, "Mom", "I'm late", account="second")
    [request] = sends(emulator)
    assert request.params["apikey"] == SECOND_KEY
    assert request.params["to"] == "79164444444"
    assert speech(response) == "Sent an SMS to mom: “I'm late”. It cost 1.31 roubles."

    response = await send(hass, "Mom", "I'm late", account="Third")
    assert len(sends(emulator)) == 1
    assert speech(response) == (
        "There is no loaded SMSPilot account named Third. The loaded accounts are: Second, SMSPilot."
    )


async def test_same_name_twice_in_one_account(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Two recipients of one account with the same name are not guessed between."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[
            recipient("mom", "Mom", MOM, CHANNEL_SMS),
            recipient("mom2", "mom ", "79164444444", CHANNEL_SMS),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    response = await send(hass, "Mom", "I'm late")
    assert sends(emulator) == []
    assert speech(response).startswith("The account SMSPilot has several SMS recipients named")


@pytest.mark.usefixtures("init_integration")
async def test_refusal_is_an_error_response(hass: HomeAssistant, emulator: Emulator) -> None:
    """SMSPilot's refusal becomes a translated error response, not an exception."""
    emulator.accounts[DEMO_API_KEY].balance = Decimal("0.50")
    response = await send(hass, "Mom", "I'm late")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert speech(response) == (
        "Sending the SMS to Mom failed: There is not enough money on the account SMSPilot. "
        "Top up the SMSPilot balance and try again."
    )
    response = await send(hass, "Mom", "Я опаздываю", "ru")
    assert speech(response).startswith(
        "Ошибка при отправке SMS получателю «Mom»: Недостаточно средств на балансе"
    )
    assert emulator.messages == {}


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("message", "reason"),
    [("", "The message is empty."), ("x" * 1600, "The message is 1600 characters long")],
)
async def test_invalid_text_is_an_error_response(
    hass: HomeAssistant, emulator: Emulator, message: str, reason: str
) -> None:
    """The sender's checks refuse a bad text before any request."""
    response = await send(hass, "Mom", message)
    assert sends(emulator) == []
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response).startswith(f"Sending the SMS to Mom failed: {reason}")


# Registration and translations


@pytest.mark.usefixtures("init_integration")
async def test_registered_once(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """The intent integration's platform call does not register the intent again."""
    caplog.set_level(logging.WARNING)
    [handler] = [h for h in intent.async_get(hass) if h.intent_type == INTENT_SEND_MESSAGE]
    with patch.object(
        intent_module, "async_setup_intents", wraps=intent_module.async_setup_intents
    ) as platform_call:
        assert await async_setup_component(hass, "intent", {})
        await hass.async_block_till_done()
    platform_call.assert_awaited_once_with(hass)
    assert [h for h in intent.async_get(hass) if h.intent_type == INTENT_SEND_MESSAGE] == [handler]
    assert handler.description == DESCRIPTION
    assert "is being overwritten" not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.usefixtures("init_integration")
async def test_translations_load(hass: HomeAssistant) -> None:
    """Every text the intent speaks loads in English and Russian, with the same placeholders."""
    placeholders: dict[str, set[str]] = {}
    for language in ("en", "ru"):
        texts = await async_get_translations(hass, language, "exceptions", {DOMAIN})
        english = placeholders if language == "en" else None
        for key in INTENT_KEYS:
            text = texts[f"component.{DOMAIN}.exceptions.{key}.message"]
            found = set(re.findall(r"{(\w+)}", text))
            if english is not None:
                english[key] = found
            else:
                assert found == placeholders[key], key
                assert re.search("[а-яА-Я]", text), key


# LLM tool


def llm_context() -> llm.LLMContext:
    """Return an LLM context as the installed Home Assistant defines it."""
    values: dict[str, Any] = {
        "platform": "test",
        "context": Context(),
        "user_prompt": None,  # older releases (2025.4) only
        "language": "en",
        "assistant": "conversation",
        "device_id": None,
    }
    fields = {field.name for field in dataclasses.fields(llm.LLMContext)}
    return llm.LLMContext(**{key: value for key, value in values.items() if key in fields})


async def assist_api(hass: HomeAssistant) -> llm.APIInstance:
    """Set up what the Assist API needs and return its instance."""
    assert await async_setup_component(hass, "homeassistant", {})
    if HAS_LLM_PLATFORMS:
        assert await async_setup_component(hass, "llm", {})
    return await llm.async_get_api(hass, "assist", llm_context())


def our_tools(api: llm.APIInstance) -> list[llm.Tool]:
    """Return the tools of the send intent (named smspilot__... on newer releases)."""
    return [tool for tool in api.tools if tool.name.endswith(INTENT_SEND_MESSAGE)]


@pytest.mark.usefixtures("init_integration")
async def test_listed_as_llm_tool(hass: HomeAssistant, emulator: Emulator) -> None:
    """LLM agents get the intent as a tool with our description and string parameters."""
    api = await assist_api(hass)
    [tool] = our_tools(api)
    expected_name = f"{DOMAIN}__{INTENT_SEND_MESSAGE}" if HAS_LLM_PLATFORMS else INTENT_SEND_MESSAGE
    assert tool.name == expected_name
    assert tool.description == DESCRIPTION
    schema = to_openapi(tool.parameters, custom_serializer=api.custom_serializer)
    assert schema["type"] == "object"
    assert {name: spec["type"] for name, spec in schema["properties"].items()} == {
        "recipient": "string",
        "message": "string",
        "account": "string",
    }
    assert sorted(schema["required"]) == ["message", "recipient"]

    result = await api.async_call_tool(
        llm.ToolInput(tool_name=tool.name, tool_args={"recipient": "Mom", "message": "I'm late"})
    )
    await hass.async_block_till_done()
    [request] = sends(emulator)
    assert request.params["to"] == MOM
    data = getattr(result, "data", result)  # a ToolResult on newer releases, a dict on older
    assert data["response_type"] == "action_done"
    assert data["speech"]["plain"]["speech"] == (
        "Sent an SMS to Mom: “I'm late”. It cost 1.31 roubles."
    )


async def test_llm_tool_without_account(hass: HomeAssistant) -> None:
    """Without a loaded account, newer releases leave the tool out; older ones list every intent."""
    assert await async_setup_component(hass, DOMAIN, {})
    api = await assist_api(hass)
    assert len(our_tools(api)) == (0 if HAS_LLM_PLATFORMS else 1)


# The README's custom sentences


def readme_sentences(readme: str) -> dict[str, Any]:
    """Return the custom sentences YAML of a README's Assist section."""
    text = (REPO / readme).read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    [block] = [block for block in blocks if INTENT_SEND_MESSAGE in block]
    loaded: dict[str, Any] = yaml.safe_load(block)
    return loaded


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("readme", "sentence", "expected"),
    [
        ("README.md", "text Mom that I'm late", ("Mom", "I'm late")),
        ("README.md", "send an SMS to Mom saying I'm late", ("Mom", "I'm late")),
        ("README.ru.md", "напиши Mom, что я опаздываю", ("Mom", "я опаздываю")),
        ("README.ru.md", "отправь смс mom с текстом буду в 8", ("mom", "буду в 8")),
    ],
)
async def test_readme_sentences(
    hass: HomeAssistant, emulator: Emulator, readme: str, sentence: str, expected: tuple[str, str]
) -> None:
    """The README's example sentences match the intent, also beside Home Assistant's name list."""
    intents = Intents.from_dict(readme_sentences(readme))
    # The built-in agent passes its own "name" list (entity names), which would hide a
    # wildcard list called "name": the examples use "recipient".
    result = recognize(
        sentence, intents, slot_lists={"name": TextSlotList.from_strings(["Kitchen light"])}
    )
    assert result is not None
    assert result.intent.name == INTENT_SEND_MESSAGE
    slots = {name: entity.value for name, entity in result.entities.items()}
    assert (slots["recipient"], slots["message"]) == expected
    response = await send(hass, slots["recipient"], slots["message"])
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    [request] = sends(emulator)
    assert request.params["to"] == MOM
