"""The one translation of SMSPilot client errors into Home Assistant errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ApiErrorDetail,
    SmsPilotAccountBlockedError,
    SmsPilotAuthenticationError,
    SmsPilotConnectionError,
    SmsPilotError,
    SmsPilotInsufficientFundsError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    SmsPilotSpamProtectionError,
)
from .const import DOMAIN

# Which translated error an input field refused by SMSPilot becomes.
_REFUSED_FIELD_KEYS: Final[Mapping[str | None, str]] = {
    "phone": "phone_refused",
    "sender": "sender_refused",
    "text": "message_refused",
    "send_datetime": "send_time_refused",
    "ttl": "ttl_refused",
    "callback": "callback_refused",
    "ids": "unknown_message_ids",
}
_BLACKLISTED_PHONE: Final = 212


def localized(error: SmsPilotError | ApiErrorDetail, language: str) -> str:
    """Return SMSPilot's text of an error in the user's language (Russian, else English)."""
    if language.startswith("ru"):
        return error.description_ru or error.description
    return error.description or error.description_ru


def error_text(error: SmsPilotError | ApiErrorDetail, language: str) -> str:
    """Return SMSPilot's text of an error in the user's language, followed by its code."""
    text = localized(error, language)
    if error.code is None:
        return text
    return f"{text} ({error.code})" if text else str(error.code)


def _error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def action_error(
    err: SmsPilotError, *, account: str, language: str, phones: Sequence[str] = ()
) -> HomeAssistantError:
    """Return the translated error an action or notification raises for a failed request.

    `phones` name the recipients when SMSPilot refuses a number without saying which.
    """
    match err:
        case SmsPilotAuthenticationError():
            return _error("auth_failed", account=account)
        case SmsPilotAccountBlockedError():
            return _error("account_blocked", account=account)
        case SmsPilotInsufficientFundsError():
            return _error("insufficient_funds", account=account)
        case SmsPilotSpamProtectionError():
            return _error("spam_protection", error=error_text(err, language))
        case SmsPilotInvalidInputError():
            return _refused_input(err, language, phones)
        case SmsPilotConnectionError():
            return _error("connection_failed")
        case SmsPilotResponseError():
            return _error("unexpected_response")
    return _error("request_failed", error=error_text(err, language))


def _refused_input(
    err: SmsPilotInvalidInputError, language: str, phones: Sequence[str]
) -> ServiceValidationError:
    """Describe input SMSPilot refused, naming the field and the value where known."""
    placeholders = {"error": error_text(err, language)}
    if err.code == _BLACKLISTED_PHONE:
        key = "phone_blacklisted"
    else:
        key = _REFUSED_FIELD_KEYS.get(err.field, "input_refused")
    if err.field == "phone":
        placeholders["phone"] = err.details.get("phone") or ", ".join(phones)
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def update_error(err: SmsPilotError) -> Exception:
    """Return what a coordinator raises for a failed read (an auth failure starts reauth)."""
    match err:
        case SmsPilotAuthenticationError():
            return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="invalid_auth")
        case SmsPilotAccountBlockedError():
            return UpdateFailed(translation_domain=DOMAIN, translation_key="account_blocked_read")
        case SmsPilotConnectionError():
            return UpdateFailed(translation_domain=DOMAIN, translation_key="cannot_connect")
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="api_error",
        translation_placeholders={"error": err.description or str(err)},
    )
