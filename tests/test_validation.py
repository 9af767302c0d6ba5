"""Tests for phone number normalization and the input checks run before sending."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smspilot.const import DOMAIN
from custom_components.smspilot.phone import (
    FALLBACK_COUNTRY,
    PhoneNumberError,
    PhoneNumberProblem,
    home_country,
    normalize_phone,
    normalize_phones,
    split_numbers,
)
from custom_components.smspilot.validation import (
    MAX_SMS_PARTS,
    MAX_VOICE_LENGTH,
    check_flash_call_code,
    check_message_ids,
    check_recipients,
    check_send_at,
    check_sender,
    check_sms_text,
    check_ttl,
    check_voice_sender,
    check_voice_text,
    check_wait,
)


@pytest.mark.parametrize(
    "number",
    [
        "+7 908 796-47-81",
        "8 (908) 796-47-81",
        "79087964781",
        "+79087964781",
        "9087964781",
        "  8-908-796-47-81 ",
    ],
)
def test_russian_number_forms_give_international_digits(number: str) -> None:
    """Every common way of writing a Russian mobile number gives the same digits."""
    assert normalize_phone(number, "RU") == "79087964781"


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        # A German user's national number, and the same number written internationally.
        ("0151 12345678", "DE", "4915112345678"),
        ("+49 151 12345678", "RU", "4915112345678"),
        ("+7 908 796-47-81", "DE", "79087964781"),
        # SMSPilot's own format (international digits, no "+") where it is no home number.
        ("79087964781", "US", "79087964781"),
        # Where it is one, the home country wins, as the action's description says.
        ("79087964781", "DE", "4979087964781"),
        ("375291234567", "RU", "375291234567"),
    ],
)
def test_home_country_and_international_digits(number: str, country: str, expected: str) -> None:
    """National numbers use the home country; bare international digits work anywhere."""
    assert normalize_phone(number, country) == expected


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("", PhoneNumberProblem.EMPTY),
        ("   ", PhoneNumberProblem.EMPTY),
        ("12", PhoneNumberProblem.INVALID),
        ("abc", PhoneNumberProblem.INVALID),
        ("+7 908 796", PhoneNumberProblem.INVALID),
        ("+7 908 796-47-81-55-55", PhoneNumberProblem.INVALID),
        ("8-800-555-35-35", PhoneNumberProblem.SERVICE_NUMBER),
        ("+7 809 505-12-34", PhoneNumberProblem.SERVICE_NUMBER),
    ],
)
def test_unusable_numbers_are_refused(number: str, problem: PhoneNumberProblem) -> None:
    """Empty, malformed and toll-free or premium numbers raise, keeping the text as written."""
    with pytest.raises(PhoneNumberError) as err:
        normalize_phone(number, "RU")
    assert err.value.problem is problem
    assert err.value.number == number


def test_lists_are_split_and_deduplicated() -> None:
    """Commas, semicolons and lines separate numbers; one number given twice is kept once."""
    assert split_numbers("79087964781, 8 916 123-45-67;\n+7 950 000 00 00,,") == [
        "79087964781",
        "8 916 123-45-67",
        "+7 950 000 00 00",
    ]
    assert split_numbers(["79087964781", " ", "1,2"]) == ["79087964781", "1", "2"]
    assert normalize_phones(["+7 908 796-47-81", "8 (908) 796-47-81, 89161234567"]) == [
        "79087964781",
        "79161234567",
    ]


def test_no_numbers_at_all() -> None:
    """A list without any number is refused as empty."""
    with pytest.raises(PhoneNumberError) as err:
        normalize_phones([" ", ","])
    assert err.value.problem is PhoneNumberProblem.EMPTY


async def test_home_country_follows_home_assistant(hass: HomeAssistant) -> None:
    """The home country is Home Assistant's, or Russia when none is set."""
    hass.config.country = None
    assert home_country(hass) == FALLBACK_COUNTRY == "RU"
    hass.config.country = "KZ"
    assert home_country(hass) == "KZ"


def _refused(err: pytest.ExceptionInfo[ServiceValidationError], key: str) -> dict[str, str]:
    """Assert a translated refusal of our domain and return its placeholders."""
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    return err.value.translation_placeholders or {}


@pytest.mark.parametrize(
    ("to", "key", "number"),
    [
        ("79087964781, 12", "invalid_phone", "12"),
        (["8 800 555 35 35"], "service_phone", "8 800 555 35 35"),
        ([], "no_phone_numbers", ""),
    ],
)
def test_check_recipients_refusals(to: str | list[str], key: str, number: str) -> None:
    """Bad recipients become translated errors naming the number as written."""
    with pytest.raises(ServiceValidationError) as err:
        check_recipients(to, "RU")
    assert _refused(err, key)["number"] == number


def test_sms_text_parts_and_limits() -> None:
    """Texts are counted like SMSPilot counts them; empty and over-long texts are refused."""
    latin = check_sms_text("a" * 161)
    assert (latin.encoding, latin.parts, latin.length) == ("gsm7", 2, 161)
    cyrillic = check_sms_text("я" * 70)
    assert (cyrillic.encoding, cyrillic.parts) == ("ucs2", 1)
    assert check_sms_text("a" * 153 * MAX_SMS_PARTS).parts == MAX_SMS_PARTS
    with pytest.raises(ServiceValidationError) as err:
        check_sms_text("a" * (153 * MAX_SMS_PARTS + 1))
    assert _refused(err, "message_too_long") == {
        "parts": "11",
        "max_parts": "10",
        "length": "1531",
    }
    with pytest.raises(ServiceValidationError) as err:
        check_sms_text(" \n ")
    _refused(err, "empty_message")


def test_voice_text_limits() -> None:
    """A call text must not be empty or longer than the robot reads."""
    check_voice_text("x" * MAX_VOICE_LENGTH)
    with pytest.raises(ServiceValidationError) as err:
        check_voice_text("x" * (MAX_VOICE_LENGTH + 1))
    assert _refused(err, "voice_message_too_long")["length"] == "1001"
    with pytest.raises(ServiceValidationError) as err:
        check_voice_text("")
    _refused(err, "empty_message")


@pytest.mark.parametrize("code", ["123", "12345", "12a4", "", "١٢٣٤"])
def test_flash_call_code_must_be_four_digits(code: str) -> None:
    """Only four ASCII digits make a FlashCall code."""
    with pytest.raises(ServiceValidationError) as err:
        check_flash_call_code(code)
    assert _refused(err, "invalid_flash_call_code")["code"] == code.strip()


def test_flash_call_code_is_trimmed() -> None:
    """Spaces around a code do not matter; a leading zero is kept."""
    assert check_flash_call_code(" 0421 ") == "0421"


def test_sender_names() -> None:
    """Well-formed and registered names pass; malformed or call-switching names are refused."""
    assert check_sender(None) is None
    assert check_sender("  ") is None
    assert check_sender("INFORM") == "INFORM"
    assert check_sender("79087964781") == "79087964781"
    # Whatever SMSPilot registered for the account is trusted as it is.
    assert check_sender("Мой дом", ["мой дом"]) == "Мой дом"
    for bad in ("Мой дом", "TOO-LONG-NAME", "GOLOS", "flashcall", "2WAY", "1234567890123456"):
        with pytest.raises(ServiceValidationError) as err:
            check_sender(bad)
        assert _refused(err, "invalid_sender") == {"sender": bad}


def test_voice_senders() -> None:
    """Calls go out as GOLOS unless GOLOSM is asked for; nothing else is a robot voice."""
    assert check_voice_sender(None) == "GOLOS"
    assert check_voice_sender("golosm") == "GOLOSM"
    with pytest.raises(ServiceValidationError) as err:
        check_voice_sender("INFORM")
    _refused(err, "invalid_voice_sender")


def test_send_time() -> None:
    """A future time is returned in UTC; a time without zone is local; the past is refused."""
    assert check_send_at(None) is None
    later = dt_util.now() + timedelta(hours=1)
    assert check_send_at(later) == dt_util.as_utc(later)
    naive_local = (dt_util.now() + timedelta(hours=2)).replace(tzinfo=None)
    assert check_send_at(naive_local) == dt_util.as_utc(
        naive_local.replace(tzinfo=dt_util.get_default_time_zone())
    )
    with pytest.raises(ServiceValidationError) as err:
        check_send_at(dt_util.utcnow() - timedelta(minutes=5))
    assert "send_at" in _refused(err, "send_time_in_past")


@pytest.mark.parametrize("ttl", [0, -5, 1441])
def test_ttl_outside_range(ttl: int) -> None:
    """The lifetime must be 1..1440 minutes."""
    with pytest.raises(ServiceValidationError) as err:
        check_ttl(ttl)
    assert _refused(err, "invalid_ttl")["ttl"] == str(ttl)


def test_ttl_and_wait_inside_range() -> None:
    """Values inside the ranges pass unchanged; nothing given means nothing asked for."""
    assert check_ttl(None) is None
    assert check_ttl(1) == 1
    assert check_ttl(1440) == 1440
    assert check_wait(None) == 0
    assert check_wait(120) == 120


@pytest.mark.parametrize("wait", [-1, 120.5])
def test_wait_outside_range(wait: float) -> None:
    """Waiting is bounded to 0..120 seconds."""
    with pytest.raises(ServiceValidationError) as err:
        check_wait(wait)
    assert _refused(err, "invalid_wait")["wait"] == f"{wait:g}"


def test_message_ids() -> None:
    """Ids come as numbers, texts or comma lists; each is kept once; non-numbers are refused."""
    assert check_message_ids([182300000, "182300001, 182300000", " ", "7"]) == [
        182300000,
        182300001,
        7,
    ]
    assert check_message_ids([]) == []
    with pytest.raises(ServiceValidationError) as err:
        check_message_ids(["12", "-3"])
    assert _refused(err, "invalid_message_id") == {"message_id": "-3"}
