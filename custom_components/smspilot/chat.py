"""SMS chats with Assist: an SMS from a chat's phone goes to Assist, its answer goes back.

One `AssistChat` per loaded account listens to the mailbox's signal. The chats are the
account's `chat` subentries, read when an SMS arrives, so adding, editing or removing one
needs no reload. Replies go out in one request from the service number (2WAY) so the person
can answer; texts are never logged above DEBUG.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import SmsPilotSpamProtectionError
from .chat_limits import ChatLimits, Verdict, cut_to_parts
from .const import (
    ACCOUNT_URL,
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
    DOMAIN,
    EVENT_CHAT,
    ISSUE_NO_SURVEY_TEMPLATE,
    LOGGER,
    SIGNAL_SMS_RECEIVED,
    SUBENTRY_CHAT,
)
from .mailbox import ReceivedSms, TaskStarter
from .phone import PhoneNumberError, home_country, normalize_phone
from .sending import Sender

# How long Assist may think before the person is told it could not answer.
CHAT_ANSWER_TIMEOUT: Final = 30.0
# SMSPilot's refusals of a 2WAY send: no survey template, and loop protection.
NO_SURVEY_TEMPLATE: Final = 227
LOOP_PROTECTION: Final = 243
_NON_DIGITS: Final = re.compile(r"\D")


def chats(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    """Return the account's chat subentries."""
    return [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_CHAT]


def survey_issue_id(entry_id: str) -> str:
    """Return the id of an account's "2WAY needs a survey template" repair issue."""
    return f"{ISSUE_NO_SURVEY_TEMPLATE}_{entry_id}"


def strip_pin(text: str, pin: str | None) -> str | None:
    """Return the question after the PIN (case-insensitive, then whitespace), or None."""
    text = text.strip()
    if not pin:
        return text
    head, rest = text[: len(pin)], text[len(pin) :]
    if head.casefold() != pin.casefold() or not rest[:1].isspace():
        return None
    return rest.strip()


@lru_cache(maxsize=256)
def _digits(number: str, country: str) -> str:
    """Return a number as international digits (the same few numbers come again and again)."""
    try:
        return normalize_phone(number, country)
    except PhoneNumberError:
        return _NON_DIGITS.sub("", number)


def _language_file(language: str) -> str:
    """Return the translation file of a conversation language: ru-RU reads ru.json."""
    return language.replace("_", "-").split("-", 1)[0].lower() or "en"


class AssistChat:
    """Answer the SMS of one account's chats with Assist."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        sender: Sender,
        *,
        own_numbers: Callable[[], Iterable[str]],
        start_task: TaskStarter,
    ) -> None:
        """Work for one account; `own_numbers` gives its sender numbers, if any."""
        self._hass = hass
        self._entry = entry
        self._sender = sender
        self._own_numbers = own_numbers
        self._start_task = start_task
        self.limits = ChatLimits()
        self._conversations: dict[str, str] = {}
        # The service numbers SMS came to: never chatted with.
        self._service_numbers: set[str] = set()
        self._no_survey = (
            ir.async_get(hass).async_get_issue(DOMAIN, survey_issue_id(entry.entry_id)) is not None
        )
        # Counters shown in diagnostics.
        self.answered = 0
        self.pin_refused = 0
        self.limited = 0
        self.dropped = 0
        self.failed = 0

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Listen to the account's inbound SMS; return the undo."""
        return async_dispatcher_connect(
            self._hass, SIGNAL_SMS_RECEIVED.format(self._entry.entry_id), self._received
        )

    def _digits(self, number: str) -> str:
        return _digits(number, home_country(self._hass))

    @callback
    def _received(self, sms: ReceivedSms) -> None:
        """Pass an SMS from a chat's phone on; everything else is not the chat's business."""
        if not (account_chats := chats(self._entry)):
            # Every inbound SMS passes here: without chats it costs nothing more.
            return
        if num := self._digits(sms.num):
            self._service_numbers.add(num)
        phone = self._digits(sms.phone)
        chat = next((c for c in account_chats if c.data[CONF_PHONE] == phone), None)
        if chat is not None:
            self._start_task(self._async_handle(chat, phone, sms), f"{DOMAIN} chat")

    def _refusal(self, chat: ConfigSubentry, phone: str, sms: ReceivedSms) -> str | None:
        """Return why an SMS gets no answer at all before Assist is asked, else None."""
        now = dt_util.utcnow()
        own = {self._digits(n) for n in self._own_numbers() if n.isdigit()}
        if phone in self._service_numbers or phone in own:
            LOGGER.debug("Chat %s: never answering the account's own number", chat.title)
            return "refused"
        if self.limits.is_echo(phone, sms.message, now):
            LOGGER.debug("Chat %s: inbound SMS %s is our own reply; dropped", chat.title, sms.id)
            return "echo"
        if strip_pin(sms.message, chat.data.get(CONF_PIN)) is None:
            self.pin_refused += 1
            LOGGER.debug("Chat %s: SMS %s without the right PIN; ignored", chat.title, sms.id)
            return "pin"
        if self.limits.blocked(phone, now):
            return "blocked_for_today"
        return None

    async def _async_handle(self, chat: ConfigSubentry, phone: str, sms: ReceivedSms) -> None:
        """Ask Assist, answer, and tell the bus."""
        data = chat.data
        question = strip_pin(sms.message, data.get(CONF_PIN)) or ""
        exchange: dict[str, Any] = {
            "config_entry_id": self._entry.entry_id,
            "chat": chat.title,
            "phone": phone,
            "question": question if question else sms.message,
            "answer": None,
            "agent": data.get(CONF_AGENT_ID, DEFAULT_AGENT_ID),
            "cost": None,
            "two_way": None,
            "reason": self._refusal(chat, phone, sms),
        }
        if exchange["reason"] is None and not question:
            exchange["reason"] = "empty"
        if exchange["reason"] is not None:
            self.dropped += exchange["reason"] != "pin"
            self._fire(exchange)
            return
        language = data.get(CONF_LANGUAGE) or self._hass.config.language
        texts = await self._async_texts(language)
        now = dt_util.utcnow()
        verdict = self.limits.check(
            phone,
            int(data.get(CONF_HOUR_LIMIT, DEFAULT_HOUR_LIMIT)),
            int(data.get(CONF_DAY_LIMIT, DEFAULT_DAY_LIMIT)),
            now,
        )
        if verdict is not Verdict.OK:
            self.limited += 1
            exchange["reason"] = "limited"
            if verdict is Verdict.NOTICE:
                LOGGER.info("Chat %s reached its reply limit; one notice is sent", chat.title)
                notice = texts.get("chat_limited", "Too many messages. Try again later.")
                await self._async_reply(chat, phone, notice, exchange, counted=False)
            self._fire(exchange)
            return
        answer = await self._async_ask(chat, question, language)
        if answer is None:
            exchange["reason"] = "no_answer"
            answer = texts.get("chat_no_answer", "Home Assistant could not answer.")
        answer = cut_to_parts(answer, int(data.get(CONF_MAX_PARTS, DEFAULT_MAX_PARTS)))
        await self._async_reply(chat, phone, answer, exchange, counted=True)
        self._fire(exchange)

    async def _async_texts(self, language: str) -> dict[str, str]:
        """Return the chat's texts in `language` (and load Home Assistant's for the logbook)."""
        prefix = f"component.{DOMAIN}.exceptions."
        if (system := _language_file(self._hass.config.language)) != _language_file(language):
            await async_get_translations(self._hass, system, "exceptions", {DOMAIN})
        found = await async_get_translations(
            self._hass, _language_file(language), "exceptions", {DOMAIN}
        )
        return {
            key[len(prefix) : -len(".message")]: value
            for key, value in found.items()
            if key.startswith(prefix) and key.endswith(".message")
        }

    async def _async_ask(self, chat: ConfigSubentry, question: str, language: str) -> str | None:
        """Return Assist's spoken answer, or None when it failed or took too long."""
        from homeassistant.components import conversation  # noqa: PLC0415 - loaded on use

        user_id = chat.data.get(CONF_USER_ID)
        user = await self._hass.auth.async_get_user(user_id) if user_id else None
        if user is None or not user.is_active:
            LOGGER.warning("Chat %s: its Home Assistant user is missing or inactive", chat.title)
            return None
        LOGGER.debug("Chat %s asks Assist: %s", chat.title, question)
        try:
            async with asyncio.timeout(CHAT_ANSWER_TIMEOUT):
                result = await conversation.async_converse(
                    self._hass,
                    question,
                    self._conversations.get(chat.subentry_id),
                    Context(user_id=user.id),
                    language,
                    agent_id=chat.data.get(CONF_AGENT_ID, DEFAULT_AGENT_ID),
                )
        except TimeoutError:
            LOGGER.warning("Assist did not answer chat %s in %s s", chat.title, CHAT_ANSWER_TIMEOUT)
            return None
        except Exception as err:  # noqa: BLE001 - any agent failure gets the same answer
            LOGGER.warning("Assist could not answer chat %s: %s", chat.title, type(err).__name__)
            LOGGER.debug("Assist's error for chat %s: %s", chat.title, err)
            return None
        if result.conversation_id:
            self._conversations[chat.subentry_id] = result.conversation_id
        speech = str(result.response.speech.get("plain", {}).get("speech") or "").strip()
        LOGGER.debug("Assist answered chat %s: %s", chat.title, speech)
        return speech or None

    async def _async_reply(
        self,
        chat: ConfigSubentry,
        phone: str,
        text: str,
        exchange: dict[str, Any],
        *,
        counted: bool,
    ) -> None:
        """Send `text` by 2WAY (an ordinary SMS without a survey template); note the outcome."""
        exchange["answer"] = text
        try:
            result = await self._sender.async_send_reply(phone, text)
        except HomeAssistantError as err:
            cause = err.__cause__
            code = cause.code if isinstance(cause, SmsPilotSpamProtectionError) else None
            if code == LOOP_PROTECTION:
                if self.limits.block_for_today(phone, dt_util.utcnow()):
                    LOGGER.warning(
                        "SMSPilot's loop protection refused the reply to chat %s; "
                        "no more replies to it until the end of the day",
                        chat.title,
                    )
                exchange.update(answer=None, reason="loop")
                return
            if code != NO_SURVEY_TEMPLATE:
                self._failed(chat, exchange, err)
                return
            self._survey_issue(raise_it=True)
            try:
                result = await self._sender.async_send_reply(phone, text, two_way=False)
            except HomeAssistantError as fallback_err:
                self._failed(chat, exchange, fallback_err)
                return
            exchange["two_way"] = False
        else:
            exchange["two_way"] = True
            self._survey_issue(raise_it=False)
        exchange["cost"] = result.get("cost")
        now = dt_util.utcnow()
        if counted:
            self.answered += 1
            self.limits.count(phone, text, now)
        else:
            self.limits.remember(phone, text, now)

    def _failed(self, chat: ConfigSubentry, exchange: dict[str, Any], err: Exception) -> None:
        self.failed += 1
        LOGGER.warning("Could not send the reply of chat %s: %s", chat.title, err)
        exchange.update(answer=None, reason="send_failed")

    def _survey_issue(self, *, raise_it: bool) -> None:
        """Explain that 2WAY replies need a survey template; clear it once one works."""
        if raise_it == self._no_survey:
            return
        self._no_survey = raise_it
        issue_id = survey_issue_id(self._entry.entry_id)
        if not raise_it:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
            return
        LOGGER.warning(
            "SMSPilot refused a 2WAY reply of %s (no survey template); it went as an SMS",
            self._entry.title,
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NO_SURVEY_TEMPLATE,
            translation_placeholders={"title": self._entry.title, "url": ACCOUNT_URL},
            learn_more_url=ACCOUNT_URL,
        )

    def _fire(self, exchange: Mapping[str, Any]) -> None:
        LOGGER.debug("Chat %s: %s", exchange["chat"], exchange["reason"] or "answered")
        self._hass.bus.async_fire(EVENT_CHAT, dict(exchange))
