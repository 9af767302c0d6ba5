"""Actions of the SMSPilot integration: send, call, check numbers and statuses, estimate cost."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv

from .compat import vol
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TTL,
    DOMAIN,
    NumberCheck,
    SendKind,
)
from .models import SmsPilotConfigEntry
from .sending import Sender
from .validation import check_message_ids, invalid_input

SERVICE_SEND_SMS: Final = "send_sms"
SERVICE_SEND_VOICE: Final = "send_voice"
SERVICE_FLASH_CALL: Final = "flash_call"
SERVICE_CHECK_NUMBER: Final = "check_number"
SERVICE_CHECK_STATUS: Final = "check_status"
SERVICE_ESTIMATE_COST: Final = "estimate_cost"

ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_TEST: Final = "test"
ATTR_CODE: Final = "code"
ATTR_METHOD: Final = "method"
ATTR_WAIT: Final = "wait"
ATTR_SERVER_IDS: Final = "server_ids"
ATTR_PACKET_ID: Final = "packet_id"


# The schemas check types only; ranges and formats are checked by the sender, so the
# user gets a translated message naming the bad value (the notify path gets the same checks).
_TEXTS = vol.All(cv.ensure_list, [cv.string])
_ACCOUNT_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})
SEND_SMS_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Required(ATTR_TO): _TEXTS,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_SENDER): cv.string,
        vol.Optional(ATTR_SEND_AT): cv.datetime,
        # Whole minutes, checked with a translated error (1.5 is refused, not cut to 1).
        vol.Optional(ATTR_TTL): vol.Any(int, float, str),
        vol.Optional(ATTR_TEST, default=False): cv.boolean,
    }
)
SEND_VOICE_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Required(ATTR_TO): _TEXTS,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_SEND_AT): cv.datetime,
        # Whole minutes, checked with a translated error (1.5 is refused, not cut to 1).
        vol.Optional(ATTR_TTL): vol.Any(int, float, str),
        vol.Optional(ATTR_TEST, default=False): cv.boolean,
    }
)
FLASH_CALL_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Required(ATTR_TO): _TEXTS,
        vol.Required(ATTR_CODE): cv.string,
        vol.Optional(ATTR_TEST, default=False): cv.boolean,
    }
)
CHECK_NUMBER_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Required(ATTR_TO): _TEXTS,
        vol.Optional(ATTR_METHOD, default="hlr"): vol.All(
            cv.string, vol.Lower, vol.In([check.value for check in NumberCheck])
        ),
        vol.Optional(ATTR_WAIT): vol.Coerce(float),
    }
)
CHECK_STATUS_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Optional(ATTR_SERVER_IDS): _TEXTS,
        vol.Optional(ATTR_PACKET_ID): vol.Coerce(int),
    }
)
ESTIMATE_COST_SCHEMA = _ACCOUNT_SCHEMA.extend(
    {
        vol.Required(ATTR_TO): _TEXTS,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_SENDER): cv.string,
    }
)


type _Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


def _sender(call: ServiceCall) -> Sender:
    """Return the sender of the account the call names, or of the only loaded account."""
    hass = call.hass
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    entry: SmsPilotConfigEntry | None
    if entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise invalid_input("account_not_found", config_entry_id=entry_id)
        if entry.state is not ConfigEntryState.LOADED:
            raise invalid_input("account_not_loaded", account=entry.title)
        return entry.runtime_data.sender
    loaded: list[SmsPilotConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not loaded:
        raise invalid_input("no_account_loaded")
    if len(loaded) > 1:
        raise invalid_input(
            "account_not_chosen", accounts=", ".join(sorted(entry.title for entry in loaded))
        )
    return loaded[0].runtime_data.sender


async def _async_send_sms(call: ServiceCall) -> ServiceResponse:
    """Send an SMS to one or more numbers."""
    return await _sender(call).async_send(
        SendKind.SMS,
        call.data[ATTR_TO],
        call.data[ATTR_MESSAGE],
        sender=call.data.get(ATTR_SENDER),
        send_at=call.data.get(ATTR_SEND_AT),
        ttl=call.data.get(ATTR_TTL),
        test=call.data[ATTR_TEST],
    )


async def _async_send_voice(call: ServiceCall) -> ServiceResponse:
    """Have a robot call the numbers and read the message aloud."""
    return await _sender(call).async_send(
        SendKind.VOICE,
        call.data[ATTR_TO],
        call.data[ATTR_MESSAGE],
        send_at=call.data.get(ATTR_SEND_AT),
        ttl=call.data.get(ATTR_TTL),
        test=call.data[ATTR_TEST],
    )


async def _async_flash_call(call: ServiceCall) -> ServiceResponse:
    """Call the numbers from a number ending in the four-digit code."""
    return await _sender(call).async_send(
        SendKind.FLASHCALL, call.data[ATTR_TO], call.data[ATTR_CODE], test=call.data[ATTR_TEST]
    )


async def _async_check_number(call: ServiceCall) -> ServiceResponse:
    """Check whether numbers are served (HLR), online (PING) or both with details (HLRVIP)."""
    return await _sender(call).async_check_numbers(
        NumberCheck(call.data[ATTR_METHOD]), call.data[ATTR_TO], wait=call.data.get(ATTR_WAIT)
    )


async def _async_check_status(call: ServiceCall) -> ServiceResponse:
    """Return the current states of sent messages."""
    return await _sender(call).async_check_status(
        server_ids=check_message_ids(call.data.get(ATTR_SERVER_IDS, ())),
        packet_id=call.data.get(ATTR_PACKET_ID),
    )


async def _async_estimate_cost(call: ServiceCall) -> ServiceResponse:
    """Return what an SMS would cost, without sending it."""
    return await _sender(call).async_estimate(
        call.data[ATTR_TO], call.data[ATTR_MESSAGE], sender=call.data.get(ATTR_SENDER)
    )


_SERVICES: Final[tuple[tuple[str, _Handler, Any, SupportsResponse], ...]] = (
    # Sending costs money and is often fire-and-forget, so the answer is optional there.
    (SERVICE_SEND_SMS, _async_send_sms, SEND_SMS_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_SEND_VOICE, _async_send_voice, SEND_VOICE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_FLASH_CALL, _async_flash_call, FLASH_CALL_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_CHECK_NUMBER, _async_check_number, CHECK_NUMBER_SCHEMA, SupportsResponse.OPTIONAL),
    # Pure reads are only worth calling for their answer.
    (SERVICE_CHECK_STATUS, _async_check_status, CHECK_STATUS_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_ESTIMATE_COST, _async_estimate_cost, ESTIMATE_COST_SCHEMA, SupportsResponse.ONLY),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once for all accounts (called from async_setup)."""
    for name, handler, schema, supports_response in _SERVICES:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
