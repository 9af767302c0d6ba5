"""Checks run on what an action or notification asks for, before any money is spent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
import re
from typing import Final

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import SmsParts, count_sms_parts
from .const import DOMAIN
from .phone import PhoneNumberError, PhoneNumberProblem, normalize_phones

# SMSPilot splits long texts without a stated limit; ten parts (1530 Latin or 670 Cyrillic
# characters) is where a text stops being a notification and starts costing ten SMS each time.
MAX_SMS_PARTS: Final = 10
# A robot reading 1000 characters talks for about a minute and a half: more goes unheard.
MAX_VOICE_LENGTH: Final = 1000
# The API's documented range for `ttl`, in minutes.
MIN_TTL: Final = 1
MAX_TTL: Final = 1440
# How long check_number may wait for the final result, in seconds.
MAX_WAIT: Final = 120

# Registered sender names: up to 11 Latin letters, digits and a few signs with at least one
# letter, or a number of up to 15 digits (the shapes SMSPilot's registration form accepts).
_SENDER_NAME: Final = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 .\-_!&]{1,11}|[0-9]{1,15}")
# These names switch SMSPilot to calls or two-way SMS instead of an ordinary SMS.
_SPECIAL_SENDERS: Final = frozenset({"GOLOS", "GOLOSM", "FLASHCALL", "2WAY"})
VOICE_SENDERS: Final = ("GOLOS", "GOLOSM")
_FLASH_CALL_CODE: Final = re.compile(r"[0-9]{4}")
_MESSAGE_ID: Final = re.compile(r"[0-9]{1,18}")
_WHOLE_NUMBER: Final = re.compile(r"[+-]?[0-9]{1,9}")
_PHONE_PROBLEM_KEYS: Final = {
    PhoneNumberProblem.EMPTY: "no_phone_numbers",
    PhoneNumberProblem.INVALID: "invalid_phone",
    PhoneNumberProblem.SERVICE_NUMBER: "service_phone",
}


def invalid_input(translation_key: str, **placeholders: str) -> ServiceValidationError:
    """Build the translated error for input that cannot be sent."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
    )


def check_recipients(to: str | Iterable[str], country: str) -> list[str]:
    """Return the numbers as international digits, each once, or refuse the first bad one."""
    try:
        return normalize_phones(to, country)
    except PhoneNumberError as err:
        raise invalid_input(_PHONE_PROBLEM_KEYS[err.problem], number=err.number) from None


def check_sms_text(text: str) -> SmsParts:
    """Return how the SMS text is split into parts; refuse an empty or too long one."""
    if not text.strip():
        raise invalid_input("empty_message")
    parts = count_sms_parts(text)
    if parts.parts > MAX_SMS_PARTS:
        raise invalid_input(
            "message_too_long",
            parts=str(parts.parts),
            max_parts=str(MAX_SMS_PARTS),
            length=str(parts.length),
        )
    return parts


def check_voice_text(text: str) -> None:
    """Refuse an empty call text or one too long to be listened to."""
    if not text.strip():
        raise invalid_input("empty_message")
    if len(text) > MAX_VOICE_LENGTH:
        raise invalid_input(
            "voice_message_too_long", length=str(len(text)), max_length=str(MAX_VOICE_LENGTH)
        )


def check_flash_call_code(code: str) -> str:
    """Return the four-digit FlashCall code, or refuse anything else."""
    code = code.strip()
    if not _FLASH_CALL_CODE.fullmatch(code):
        raise invalid_input("invalid_flash_call_code", code=code)
    return code


def check_sender(sender: str | None, registered: Iterable[str] = ()) -> str | None:
    """Return a usable SMS sender name (None for the account default), or refuse it.

    Names registered in the account pass as they are; others must look like a sender name
    and must not be one of the names that turn an SMS into a call.
    """
    if sender is None or not sender.strip():
        return None
    sender = sender.strip()
    if any(sender.casefold() == name.casefold() for name in registered):
        return sender
    if sender.upper() in _SPECIAL_SENDERS or not _SENDER_NAME.fullmatch(sender):
        raise invalid_input("invalid_sender", sender=sender)
    return sender


def check_voice_sender(sender: str | None) -> str:
    """Return the robot voice to call with (GOLOS unless GOLOSM is asked for), or refuse."""
    if sender is None or not sender.strip():
        return VOICE_SENDERS[0]
    voice = sender.strip().upper()
    if voice not in VOICE_SENDERS:
        raise invalid_input("invalid_voice_sender", sender=sender.strip())
    return voice


def check_send_at(send_at: datetime | None) -> datetime | None:
    """Return the send time in UTC (a time without zone is Home Assistant's local time).

    A time in the past is refused: SMSPilot would refuse it too, after the request.
    """
    if send_at is None:
        return None
    moment = dt_util.as_utc(send_at)
    if moment < dt_util.utcnow():
        raise invalid_input(
            "send_time_in_past", send_at=dt_util.as_local(moment).isoformat(timespec="minutes")
        )
    return moment


def check_ttl(ttl: object) -> int | None:
    """Return the message lifetime in whole minutes, refusing fractions and values outside 1..1440."""
    if ttl is None:
        return None
    minutes = _whole_number(ttl)
    if minutes is None:
        raise invalid_input("ttl_not_whole", ttl=str(ttl))
    if not MIN_TTL <= minutes <= MAX_TTL:
        raise invalid_input(
            "invalid_ttl", ttl=str(minutes), min_ttl=str(MIN_TTL), max_ttl=str(MAX_TTL)
        )
    return minutes


def _whole_number(value: object) -> int | None:
    """Return a whole number given as an int, an integral float or digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(text := value.strip()):
        return int(text)
    return None


def check_wait(wait: float | None) -> float:
    """Return how many seconds to wait for a check's result, refusing values outside 0..120."""
    if wait is None:
        return 0.0
    if not 0 <= wait <= MAX_WAIT:
        raise invalid_input("invalid_wait", wait=f"{wait:g}", max_wait=str(MAX_WAIT))
    return float(wait)


def check_message_ids(ids: Iterable[str | int]) -> list[int]:
    """Return message ids from a list or comma texts, each once; refuse anything not a number."""
    found: dict[int, None] = {}
    for item in ids:
        for part in str(item).split(","):
            text = part.strip()
            if not text:
                continue
            if not _MESSAGE_ID.fullmatch(text):
                raise invalid_input("invalid_message_id", message_id=text)
            found[int(text)] = None
    return list(found)
