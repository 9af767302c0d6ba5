"""Exceptions raised by the SMSPilot client and the mapping from API error codes to them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


class SmsPilotError(Exception):
    """Base class for every SMSPilot error; keeps the API's error code and texts."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        description: str = "",
        description_ru: str = "",
        details: Mapping[str, str] | None = None,
    ) -> None:
        """Store the human-readable message and what the API said about the error."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.description = description
        self.description_ru = description_ru
        # Extra keys of the API's error object (for example `phone`, `status`, `status_ru`).
        self.details: Mapping[str, str] = MappingProxyType(dict(details or {}))

    def __str__(self) -> str:
        """Return the message given when the error was raised."""
        return self.message

    def __repr__(self) -> str:
        """Show the class, message and code (never anything secret)."""
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class SmsPilotConnectionError(SmsPilotError):
    """The API could not be reached: timeout, dropped connection or an HTTP 5xx answer."""


class SmsPilotAuthenticationError(SmsPilotError):
    """The API key (or the account behind it) was refused."""


class SmsPilotAccountBlockedError(SmsPilotError):
    """SMSPilot blocked the account (106): a new API key does not help, the provider must."""


class SmsPilotInsufficientFundsError(SmsPilotError):
    """The account has not enough money or SMS credit for the request."""


class SmsPilotSpamProtectionError(SmsPilotError):
    """The request was refused by a rate limit, loop protection or spam protection."""


class SmsPilotResponseError(SmsPilotError):
    """The API (or a webhook caller) sent something that is not the expected JSON shape."""


class SmsPilotInvalidInputError(SmsPilotError):
    """The API refused a parameter; `field` names which one when the code tells."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: int | None = None,
        description: str = "",
        description_ru: str = "",
        details: Mapping[str, str] | None = None,
    ) -> None:
        """Store the error like the base class and remember the offending field."""
        super().__init__(
            message,
            code=code,
            description=description,
            description_ru=description_ru,
            details=details,
        )
        self.field = field


# Codes from docs/protocol.md. 10 and 100 are not in API-1 but are answered by the service
# (and the emulator) for missing input and a missing key.
_AUTHENTICATION_CODES: Final = frozenset({100, 101, 103, 104, 400, 401})
_ACCOUNT_BLOCKED_CODE: Final = 106
_INSUFFICIENT_FUNDS_CODES: Final = frozenset({105, 112, 241})
_SPAM_PROTECTION_CODES: Final = frozenset({118, 227, 243})
_INVALID_INPUT_FIELDS: Final[Mapping[int, str | None]] = MappingProxyType(
    {
        10: None,
        111: "phone",
        212: "phone",
        215: "phone",
        115: "sender",
        116: "sender",
        223: "text",
        250: "send_datetime",
        260: "callback",
        270: "ttl",
        303: "ids",
        500: "since",
    }
)


def error_for_code(
    code: int | None,
    description: str,
    description_ru: str,
    details: Mapping[str, str] | None = None,
) -> SmsPilotError:
    """Build the exception that matches an API error code (unknown codes give the base class)."""
    label = description or description_ru or "unknown error"
    message = f"SMSPilot error {code}: {label}" if code is not None else f"SMSPilot error: {label}"
    if code is not None and code in _INVALID_INPUT_FIELDS:
        return SmsPilotInvalidInputError(
            message,
            field=_INVALID_INPUT_FIELDS[code],
            code=code,
            description=description,
            description_ru=description_ru,
            details=details,
        )
    error_class: type[SmsPilotError] = SmsPilotError
    if code in _AUTHENTICATION_CODES:
        error_class = SmsPilotAuthenticationError
    elif code == _ACCOUNT_BLOCKED_CODE:
        error_class = SmsPilotAccountBlockedError
    elif code in _INSUFFICIENT_FUNDS_CODES:
        error_class = SmsPilotInsufficientFundsError
    elif code in _SPAM_PROTECTION_CODES:
        error_class = SmsPilotSpamProtectionError
    return error_class(
        message,
        code=code,
        description=description,
        description_ru=description_ru,
        details=details,
    )
