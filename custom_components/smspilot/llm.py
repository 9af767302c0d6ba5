"""LLM tools: the send-SMS intent as a tool of the Assist API.

Newer Home Assistant releases (2026.10) build the Assist API from each integration's `llm`
platform instead of listing every registered intent; older ones (2025.4) never import this
module and offer the intent by themselves.
"""

from __future__ import annotations

from typing import Final

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    IntentTool,
    LLMContext,
    ToolAnnotations,
)

from .const import DOMAIN
from .intent import INTENT_SEND_MESSAGE

TOOL_NAME: Final = f"{DOMAIN}__{INTENT_SEND_MESSAGE}"
# A send reaches a phone outside Home Assistant and costs money again on every call.
_ANNOTATIONS: Final = ToolAnnotations(
    read_only=False, destructive=False, idempotent=False, open_world=True
)


@callback
def async_get_tools(hass: HomeAssistant, llm_context: LLMContext, api_id: str) -> LLMTools | None:
    """Offer the send-SMS tool to the Assist API while an account is loaded."""
    if api_id != LLM_API_ASSIST or not hass.config_entries.async_loaded_entries(DOMAIN):
        return None
    handler = next(
        (item for item in intent.async_get(hass) if item.intent_type == INTENT_SEND_MESSAGE),
        None,
    )
    if handler is None:
        return None
    return LLMTools(
        tools=[
            IntentTool(
                TOOL_NAME,
                handler,
                title="Send SMS",
                integration=DOMAIN,
                annotations=_ANNOTATIONS,
            )
        ]
    )
