"""The logbook's lines for SMS chats with Assist: "Chat with Mom: question → answer"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN, EVENT_CHAT

_ANSWERED: Final = "Chat with {name}: {question} → {answer}"
_UNANSWERED: Final = "Chat with {name}: {question} (no reply: {reason})"


def _template(hass: HomeAssistant, key: str, fallback: str) -> str:
    """Return a logbook text in Home Assistant's language (loaded when a chat ran)."""
    language = hass.config.language.replace("_", "-").split("-", 1)[0].lower() or "en"
    texts = async_get_cached_translations(hass, language, "exceptions", DOMAIN)
    return texts.get(f"component.{DOMAIN}.exceptions.{key}.message", fallback)


def _reason(hass: HomeAssistant, reason: str) -> str:
    """Return why a chat SMS got no reply, in words (the code itself when unknown)."""
    return _template(hass, f"chat_reason_{reason}", reason) if reason else ""


def describe_chat(hass: HomeAssistant, data: dict[str, Any]) -> str:
    """Return the logbook line of one chat exchange."""
    placeholders = {
        "name": data.get("chat", ""),
        "question": data.get("question", ""),
        "answer": data.get("answer") or "",
        "reason": _reason(hass, data.get("reason") or ""),
    }
    if data.get("answer"):
        template = _template(hass, "logbook_chat", _ANSWERED)
    else:
        template = _template(hass, "logbook_chat_unanswered", _UNANSWERED)
    try:
        return template.format(**placeholders)
    except (KeyError, IndexError, ValueError):
        return _ANSWERED.format(**placeholders)


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the chat events in the logbook."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        return {
            "name": "SMSPilot",
            "message": describe_chat(hass, dict(event.data)),
            "icon": "mdi:message-reply-text",
        }

    async_describe_event(DOMAIN, EVENT_CHAT, describe)
