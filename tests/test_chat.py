"""SMS chats with Assist, with Home Assistant's real conversation component and its agent."""

# Russian texts: Cyrillic letters that look Latin are meant.

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import itertools
import logging
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.auth.models import User
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot import chat as chat_module
from custom_components.smspilot.api import count_sms_parts
from custom_components.smspilot.chat import survey_issue_id
from custom_components.smspilot.chat_limits import cut_to_parts
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
from custom_components.smspilot.logbook import async_describe_events, describe_chat
from smspilot_emulator import DEMO_API_KEY, Emulator, Message

from .inbound_helpers import inbound_form, post_form, serve_http, setup_account, webhook_path

PHONE = "79161234500"
STRANGER = "79169999999"
GATE = "input_boolean.gate"
SERVICE_NUMBER = "79533984570"
_ids = itertools.count(1000)


@dataclass(slots=True)
class ChatSetup:
    """What a chat test works with."""

    hass: HomeAssistant
    emulator: Emulator
    entry: MockConfigEntry
    client: TestClient
    events: list[Event]

    async def sms(self, message: str, phone: str = PHONE, num: str = SERVICE_NUMBER) -> None:
        """Receive an SMS through the webhook and wait until the chat has answered."""
        form = inbound_form(next(_ids), phone=phone, message=message, num=num)
        assert await post_form(self.client, webhook_path(self.entry), form) == 200
        await self.hass.async_block_till_done(wait_background_tasks=True)

    def replies(self, phone: str = PHONE) -> list[Message]:
        """Return the SMS sent to `phone`, oldest first."""
        return [m for m in self.emulator.messages.values() if m.phone == phone]

    def gate(self) -> str:
        """Return the gate's state."""
        state = self.hass.states.get(GATE)
        assert state is not None
        return state.state


def chat_subentry(user_id: str, language: str = "en", **data: Any) -> dict[str, Any]:
    """Return the stored form of one chat subentry."""
    return {
        "subentry_id": "chat_mom",
        "subentry_type": SUBENTRY_CHAT,
        "title": "Mom",
        "unique_id": f"chat_{PHONE}",
        "data": {
            CONF_PHONE: PHONE,
            CONF_USER_ID: user_id,
            CONF_AGENT_ID: "conversation.home_assistant",
            CONF_LANGUAGE: language,
            CONF_PIN: "",
            CONF_MAX_PARTS: 2,
            CONF_HOUR_LIMIT: 10,
            CONF_DAY_LIMIT: 50,
        }
        | data,
    }


async def start(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    *,
    language: str = "en",
    **chat_data: Any,
) -> ChatSetup:
    """Set up Assist with an exposed gate, and the account with one chat."""
    hass.config.language = language
    user: User = await hass.auth.async_create_user("Guest", group_ids=["system-users"])
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    name = "Ворота" if language == "ru" else "Gate"
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"gate": {"name": name}}}
    )
    async_expose_entity(hass, "conversation", GATE, True)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[chat_subentry(user.id, language, **chat_data)],  # type: ignore[list-item]
    )
    await setup_account(hass, entry)
    client = await serve_http(hass, hass_client_no_auth)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_CHAT, events.append)
    return ChatSetup(hass, emulator, entry, client, events)


@pytest.fixture
async def chat(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> ChatSetup:
    """Return an English chat without a PIN."""
    return await start(hass, emulator, mock_config_entry, hass_client_no_auth)


async def test_english_command_is_carried_out_and_answered(chat: ChatSetup) -> None:
    """The built-in agent turns the gate on; its answer goes back once by 2WAY."""
    assert chat.gate() == STATE_OFF
    await chat.sms("turn on the gate")
    assert chat.gate() == STATE_ON
    (reply,) = chat.replies()
    assert reply.sender_orig == "2WAY"
    assert [r.params.get("from") for r in chat.emulator.requests if "send" in r.params] == ["2WAY"]
    (event,) = chat.events
    assert event.data["answer"] == reply.text
    assert event.data["reason"] is None
    assert event.data["question"] == "turn on the gate"
    assert event.data["chat"] == "Mom"
    assert event.data["phone"] == PHONE
    assert event.data["agent"] == "conversation.home_assistant"
    assert event.data["cost"] == pytest.approx(float(reply.price))
    # The built-in agent's own words (the same on 2025.4 and 2026.10).
    assert reply.text == "Turned on the switch"


async def test_russian_command(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """In Russian too: «включи ворота» turns the gate on and the answer goes back."""
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth, language="ru")
    await chat.sms("включи ворота")
    assert chat.gate() == STATE_ON
    (reply,) = chat.replies()
    assert reply.sender_orig == "2WAY"
    assert chat.events[0].data["answer"] == reply.text
    assert reply.text == "Ворота включена"
    assert [r.params.get("from") for r in emulator.requests if "send" in r.params] == ["2WAY"]


async def test_stranger_gets_nothing(chat: ChatSetup) -> None:
    """The same SMS from a number without a chat does nothing."""
    await chat.sms("turn on the gate", phone=STRANGER)
    assert chat.gate() == STATE_OFF
    assert not chat.emulator.messages
    assert not chat.events


@pytest.mark.parametrize(
    ("message", "carried_out"),
    [
        ("turn on the gate", False),
        ("1234 turn on the gate", False),
        ("4321turn on the gate", False),
        ("AbC9 turn on the gate", True),
        ("  abc9   turn on the gate", True),
    ],
)
async def test_pin(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    message: str,
    carried_out: bool,
) -> None:
    """Without the PIN (any case, then whitespace) nothing is done or answered; counted."""
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth, pin="abc9")
    await chat.sms(message)
    assert (chat.gate() == STATE_ON) is carried_out
    assert len(chat.replies()) == int(carried_out)
    (event,) = chat.events
    runtime = chat.entry.runtime_data.chat
    if carried_out:
        assert event.data["question"] == "turn on the gate"
        assert "abc9" not in str(event.data).casefold()
        assert runtime.pin_refused == 0
    else:
        assert event.data["reason"] == "pin"
        assert runtime.pin_refused == 1


async def test_hour_limit(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Past the limit one notice goes out, then nothing until the hour is over."""
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth, replies_per_hour=2)
    for _ in range(4):
        await chat.sms("turn on the gate")
    replies = chat.replies()
    assert len(replies) == 3
    assert replies[2].text == "Too many messages. Try again later."
    assert [e.data["reason"] for e in chat.events] == [None, None, "limited", "limited"]
    assert chat.events[3].data["answer"] is None


async def test_day_limit_counts_the_account(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The account's daily limit works the same way."""
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth, replies_per_day=1)
    for _ in range(3):
        await chat.sms("turn on the gate")
    assert [e.data["reason"] for e in chat.events] == [None, "limited", "limited"]
    assert len(chat.replies()) == 2


async def test_no_survey_template_falls_back_to_sms(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Error 227: the reply goes as an ordinary SMS and a repair issue explains why."""
    emulator.accounts[DEMO_API_KEY].survey_template = False
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth)
    await chat.sms("turn on the gate")
    (reply,) = chat.replies()
    assert reply.sender_orig is None
    assert reply.sender == "INFORM"
    assert chat.events[0].data["two_way"] is False
    issue_id = survey_issue_id(chat.entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # With a template, the next 2WAY reply clears the issue.
    emulator.accounts[DEMO_API_KEY].survey_template = True
    await chat.sms("turn off the gate")
    assert chat.replies()[-1].sender_orig == "2WAY"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_loop_protection_stops_replies_for_the_day(
    chat: ChatSetup, caplog: pytest.LogCaptureFixture
) -> None:
    """Error 243: no more replies to that number today, one warning, no text in the log."""
    chat.emulator.set_fault("loop_protection")
    caplog.set_level(logging.INFO)
    await chat.sms("turn on the gate")
    chat.emulator.clear_faults()
    await chat.sms("turn off the gate")
    assert not chat.replies()
    assert [e.data["reason"] for e in chat.events] == ["loop", "blocked_for_today"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([r for r in warnings if "loop protection" in r.getMessage()]) == 1
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "gate" in r.getMessage()]


async def test_service_number_is_never_answered(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A chat whose phone is a service number SMS came to gets no reply."""
    chat = await start(hass, emulator, mock_config_entry, hass_client_no_auth)
    await chat.sms("hello", phone=STRANGER, num=PHONE)
    await chat.sms("turn on the gate", num=PHONE)
    assert not chat.replies()
    assert [e.data["reason"] for e in chat.events] == ["refused"]
    assert chat.gate() == STATE_OFF


async def test_own_reply_coming_back_is_dropped(chat: ChatSetup) -> None:
    """An SMS equal to a reply just sent to that number is our own echo: no answer."""
    await chat.sms("turn on the gate")
    (reply,) = chat.replies()
    await chat.sms(reply.text)
    assert len(chat.replies()) == 1
    assert chat.events[-1].data["reason"] == "echo"


async def test_agent_timeout_answers_could_not(chat: ChatSetup) -> None:
    """Assist that does not answer in time gets the translated "could not answer" reply."""

    async def hang(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(3600)

    with (
        patch.object(chat_module, "CHAT_ANSWER_TIMEOUT", 0.05),
        patch("homeassistant.components.conversation.async_converse", hang),
    ):
        await chat.sms("turn on the gate")
    (reply,) = chat.replies()
    assert reply.text == "Sorry, Home Assistant could not answer. Try again later."
    assert chat.events[0].data["reason"] == "no_answer"


async def test_agent_error_answers_could_not(chat: ChatSetup) -> None:
    """An agent that fails gets the same reply."""
    with patch(
        "homeassistant.components.conversation.async_converse", side_effect=RuntimeError("x")
    ):
        await chat.sms("turn on the gate")
    (reply,) = chat.replies()
    assert reply.text == "Sorry, Home Assistant could not answer. Try again later."


async def test_conversation_id_is_kept(chat: ChatSetup) -> None:
    """The conversation id the agent returned is used for the chat's next SMS."""
    await chat.sms("turn on the gate")
    runtime = chat.entry.runtime_data.chat
    first = runtime._conversations["chat_mom"]
    assert first
    await chat.sms("turn off the gate")
    assert chat.gate() == STATE_OFF


async def test_logbook_describes_the_exchange(hass: HomeAssistant, chat: ChatSetup) -> None:
    """The logbook line names the chat, the question and the answer."""
    await chat.sms("turn on the gate")
    described: dict[tuple[str, str], Any] = {}
    async_describe_events(hass, lambda d, e, f: described.__setitem__((d, e), f))
    line = described[DOMAIN, EVENT_CHAT](chat.events[0])
    answer = chat.events[0].data["answer"]
    assert line == {
        "name": "SMSPilot",
        "message": f"Chat with Mom: turn on the gate → {answer}",
        "icon": "mdi:message-reply-text",
    }
    # Why an SMS got no reply is said in words, not as the event's code.
    assert describe_chat(hass, {"chat": "Mom", "question": "hi", "reason": "limited"}) == (
        "Chat with Mom: hi (no reply: reply limit reached)"
    )
    assert describe_chat(hass, {"chat": "Mom", "question": "hi", "reason": "new_code"}) == (
        "Chat with Mom: hi (no reply: new_code)"
    )


def test_cut_to_parts() -> None:
    """Answers are cut at a character boundary to the allowed parts, ending with "…"."""
    short = "Turned on the gate"
    assert cut_to_parts(short, 1) == short
    long = "Ворота открыты. " * 20
    cut = cut_to_parts(long, 2)
    assert cut.endswith("…")
    assert count_sms_parts(cut).parts == 2
    assert long.startswith(cut[:-1])
    assert count_sms_parts(cut_to_parts("a" * 500, 1)).parts == 1


def test_every_no_reply_reason_is_worded_in_both_languages() -> None:
    """Each reason chat.py can give for not replying has its words in en and ru."""
    import json
    from pathlib import Path
    import re

    package = Path(__file__).parent.parent / "custom_components" / "smspilot"
    source = (package / "chat.py").read_text(encoding="utf-8")
    refusal = source[source.index("def _refusal") :].split("\n    def ", 1)[0]
    reasons = set(re.findall(r'reason"\] = "([a-z_]+)"|reason="([a-z_]+)"', source))
    codes = {code for pair in reasons for code in pair if code}
    codes |= set(re.findall(r'return "([a-z_]+)"', refusal))
    assert {"pin", "limited", "no_answer", "loop"} <= codes
    for language in ("en", "ru"):
        texts = json.loads((package / "translations" / f"{language}.json").read_text("utf-8"))
        missing = {code for code in codes if f"chat_reason_{code}" not in texts["exceptions"]}
        assert not missing, (language, missing)
