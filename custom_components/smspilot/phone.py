"""Phone numbers as people write them, turned into the international digits SMSPilot wants."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
import re
from typing import Final

from homeassistant.core import HomeAssistant
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# Home Assistant installations without a country set are most likely Russian ones: SMSPilot
# is a Russian gateway and its own examples are Russian numbers.
FALLBACK_COUNTRY: Final = "RU"

# A list of numbers may be written with commas, semicolons or one number a line.
_SEPARATORS: Final = re.compile(r"[,;\n]")

# Service numbers that neither receive SMS nor answer a robot call, yet would be charged.
_UNREACHABLE_TYPES: Final = frozenset(
    {PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}
)


class PhoneNumberProblem(StrEnum):
    """Why a phone number cannot be used."""

    EMPTY = "empty"
    INVALID = "invalid"
    SERVICE_NUMBER = "service_number"


class PhoneNumberError(ValueError):
    """A phone number that cannot be sent to; `number` is the text as the user wrote it."""

    def __init__(self, number: str, problem: PhoneNumberProblem) -> None:
        """Remember the offending text and what is wrong with it."""
        super().__init__(f"Phone number is {problem}")
        self.number = number
        self.problem = problem


def home_country(hass: HomeAssistant) -> str:
    """Return the country numbers without a country code belong to (Home Assistant's, or RU)."""
    return hass.config.country or FALLBACK_COUNTRY


def split_numbers(to: str | Iterable[str]) -> list[str]:
    """Split one text or a list of texts into single numbers, dropping blanks."""
    items = [to] if isinstance(to, str) else list(to)
    numbers = (part.strip() for item in items for part in _SEPARATORS.split(str(item)))
    return [number for number in numbers if number]


def normalize_phone(number: str, country: str = FALLBACK_COUNTRY) -> str:
    """Return `number` as international digits without "+" (79087964781), or raise PhoneNumberError.

    `+7 908 796-47-81`, `8 (908) 796-47-81` and `79087964781` all give the same digits. A
    number without a country code is read as a number of `country`; if that gives no valid
    number, it is read as international digits without the "+", which is how SMSPilot itself
    writes numbers.
    """
    text = number.strip()
    if not text:
        raise PhoneNumberError(number, PhoneNumberProblem.EMPTY)
    parsed = _parse_valid(text, country)
    if parsed is None and not text.startswith("+"):
        parsed = _parse_valid(f"+{text}", None)
    if parsed is None:
        raise PhoneNumberError(number, PhoneNumberProblem.INVALID)
    if phonenumbers.number_type(parsed) in _UNREACHABLE_TYPES:
        raise PhoneNumberError(number, PhoneNumberProblem.SERVICE_NUMBER)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164).removeprefix("+")


def normalize_phones(to: str | Iterable[str], country: str = FALLBACK_COUNTRY) -> list[str]:
    """Normalize every number of a list or comma text, keeping the first of any duplicates.

    Raises PhoneNumberError for the first bad number, and with EMPTY when there is none at all.
    """
    numbers = split_numbers(to)
    if not numbers:
        raise PhoneNumberError("", PhoneNumberProblem.EMPTY)
    return list(dict.fromkeys(normalize_phone(number, country) for number in numbers))


def _parse_valid(text: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    """Parse `text` for `country`; None unless it is a valid number."""
    try:
        parsed = phonenumbers.parse(text, country)
    except NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None
