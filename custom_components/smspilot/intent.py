"""Assist: the intent that texts a saved recipient by name ("text Mom that I'm late").

Only recipient subentries can be reached: the name is looked up among the SMS recipients of
the loaded accounts, and a phone number said in the conversation is never sent to. The
answer is spoken in the conversation's language, with texts from the integration's
translations (the "exceptions" category, which Home Assistant's translation schema allows).

Older Home Assistant releases (2025.4) offer every registered intent to LLM agents by
themselves; newer ones (2026.10) ask the integration's `llm` platform (llm.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, intent
from homeassistant.helpers.translation import async_get_translations

from .compat import vol
from .const import CHANNEL_SMS, CONF_CHANNEL, CONF_PHONE, DOMAIN, SendKind
from .models import SmsPilotConfigEntry
from .recipients import international, recipients

INTENT_SEND_MESSAGE: Final = "SmsPilotSendMessage"
SLOT_RECIPIENT: Final = "recipient"
SLOT_MESSAGE: Final = "message"
SLOT_ACCOUNT: Final = "account"

DESCRIPTION: Final = (
    "Sends an SMS through SMSPilot to one of the user's saved recipients, chosen by name "
    "(for example: text Mom that I'm late). Only saved recipients can be reached, never a "
    "phone number. Answers with what was sent and what it cost, or why nothing was sent "
    "(then it names the saved recipients)."
)


class _RefusalError(Exception):
    """Why nothing is sent: a translation key, its placeholders and the response's error code."""

    def __init__(
        self,
        key: str,
        placeholders: dict[str, str],
        code: intent.IntentResponseErrorCode = intent.IntentResponseErrorCode.NO_VALID_TARGETS,
    ) -> None:
        """Remember what to answer."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders
        self.code = code


@dataclass(frozen=True, slots=True)
class _Match:
    """A recipient whose name matched, with its account."""

    entry: SmsPilotConfigEntry
    recipient: ConfigSubentry


class SendMessageIntentHandler(intent.IntentHandler):
    """Send an SMS to a recipient subentry named in the request."""

    intent_type = INTENT_SEND_MESSAGE
    description = DESCRIPTION

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Return the slots: plain strings, so LLM agents get them as tool parameters."""
        return {
            vol.Required(
                SLOT_RECIPIENT,
                description="The saved recipient's name as the user said it, such as Mom",
            ): cv.string,
            vol.Required(SLOT_MESSAGE, description="The text of the SMS"): cv.string,
            vol.Optional(
                SLOT_ACCOUNT,
                description=(
                    "The SMSPilot account to send from, only when the answer asked "
                    "which account to use"
                ),
            ): cv.string,
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Send the SMS and say what was sent and what it cost, or why nothing was sent."""
        hass = intent_obj.hass
        slots = self.async_validate_slots(intent_obj.slots)
        name: str = slots[SLOT_RECIPIENT]["value"]
        message: str = slots[SLOT_MESSAGE]["value"]
        account: str | None = slots.get(SLOT_ACCOUNT, {}).get("value")
        language = translation_language(intent_obj.language)
        texts = await async_get_translations(hass, language, "exceptions", {DOMAIN})
        response = intent_obj.create_response()
        try:
            match = find_recipient(hass, name, account)
        except _RefusalError as refusal:
            response.async_set_error(refusal.code, _text(texts, refusal.key, refusal.placeholders))
            return response
        title = match.recipient.title
        try:
            result = await match.entry.runtime_data.sender.async_send(
                SendKind.SMS, international(match.recipient.data[CONF_PHONE]), message
            )
        except HomeAssistantError as err:
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
                _text(texts, "intent_send_failed", {"name": title, "error": _error(texts, err)}),
            )
            return response
        cost = result.get("cost")
        placeholders = {"name": title, "message": message}
        if cost is None:
            speech = _text(texts, "intent_sent_cost_unknown", placeholders)
        else:
            speech = _text(texts, "intent_sent", {**placeholders, "cost": money(cost, language)})
        response.async_set_speech(speech)
        response.async_set_results(
            success_results=[
                intent.IntentResponseTarget(
                    type=intent.IntentResponseTargetType.CUSTOM,
                    name=title,
                    id=match.recipient.subentry_id,
                )
            ]
        )
        return response


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the intent once.

    Called from the integration's set-up; Home Assistant's intent integration calls it too,
    as this module is the integration's intent platform, so a second call does nothing.
    """
    if any(handler.intent_type == INTENT_SEND_MESSAGE for handler in intent.async_get(hass)):
        return
    intent.async_register(hass, SendMessageIntentHandler())


def find_recipient(hass: HomeAssistant, name: str, account: str | None = None) -> _Match:
    """Return the one SMS recipient called `name` (ignoring case), or raise _RefusalError."""
    loaded: list[SmsPilotConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not loaded:
        raise _RefusalError(
            "no_account_loaded", {}, intent.IntentResponseErrorCode.FAILED_TO_HANDLE
        )
    if account is not None:
        chosen = [entry for entry in loaded if _same(entry.title, account)]
        if not chosen:
            raise _RefusalError(
                "intent_unknown_account", {"account": account, "accounts": _titles(loaded)}
            )
        loaded = chosen
    candidates = [
        _Match(entry, recipient)
        for entry in loaded
        for recipient in recipients(entry)
        if recipient.data[CONF_CHANNEL] == CHANNEL_SMS
    ]
    if not candidates:
        raise _RefusalError("intent_no_recipients", {})
    matches = [match for match in candidates if _same(match.recipient.title, name)]
    if not matches:
        names = sorted({match.recipient.title for match in candidates}, key=str.casefold)
        raise _RefusalError("intent_unknown_recipient", {"name": name, "names": ", ".join(names)})
    accounts = {match.entry.entry_id: match.entry for match in matches}
    if len(accounts) > 1:
        raise _RefusalError(
            "intent_recipient_in_several_accounts",
            {"name": matches[0].recipient.title, "accounts": _titles(accounts.values())},
        )
    if len(matches) > 1:
        raise _RefusalError(
            "intent_recipient_ambiguous",
            {"name": matches[0].recipient.title, "account": matches[0].entry.title},
        )
    return matches[0]


def translation_language(language: str) -> str:
    """Return the translation file for a conversation language: ru-RU reads ru.json."""
    return language.replace("_", "-").split("-", 1)[0].lower() or "en"


def money(cost: float, language: str) -> str:
    """Return roubles with two decimals, with a decimal comma in Russian."""
    text = f"{cost:.2f}"
    return text.replace(".", ",") if language == "ru" else text


def _fold(text: str) -> str:
    """Return a name for comparison: case, spacing and Russian yo or ye do not matter."""
    return " ".join(text.split()).casefold().replace("\u0451", "\u0435")  # yo -> ye


def _same(saved: str, said: str) -> bool:
    return _fold(saved) == _fold(said)


def _titles(entries: Iterable[SmsPilotConfigEntry]) -> str:
    return ", ".join(sorted((entry.title for entry in entries), key=str.casefold))


def _text(texts: Mapping[str, str], key: str, placeholders: Mapping[str, str]) -> str:
    """Return a translated text with its placeholders filled in."""
    template = texts.get(f"component.{DOMAIN}.exceptions.{key}.message")
    if template is None:
        return key
    try:
        return template.format(**placeholders)
    except (KeyError, IndexError, ValueError):
        return template


def _error(texts: Mapping[str, str], err: HomeAssistantError) -> str:
    """Return a sender's error in the conversation's language when it is one of ours."""
    key = err.translation_key
    if (
        err.translation_domain == DOMAIN
        and key
        and f"component.{DOMAIN}.exceptions.{key}.message" in texts
    ):
        return _text(texts, key, err.translation_placeholders or {})
    return str(err)
