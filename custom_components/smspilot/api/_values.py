"""Tolerant conversion of single API values, which arrive as strings or as JSON numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
import json

from .errors import SmsPilotResponseError
from .models import ApiErrorDetail, MessageStatus

# Both forms appear in the document: "2010-06-03 09:45:41" (user info) and
# "2021-09-20 20:15" (inbound JSON example).
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def to_int(value: object, name: str) -> int:
    """Return an integer given as a JSON number or a decimal string."""
    if isinstance(value, bool):
        raise SmsPilotResponseError(f"Field {name!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise SmsPilotResponseError(f"Field {name!r} is not an integer")


def to_decimal(value: object, name: str) -> Decimal:
    """Return an amount of money given as a string or a JSON number, exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SmsPilotResponseError(f"Field {name!r} is not a number")
    try:
        # str() of a float keeps its shortest repr, so 2934.76 stays 2934.76.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise SmsPilotResponseError(f"Field {name!r} is not a number") from None
    if not amount.is_finite():
        raise SmsPilotResponseError(f"Field {name!r} is not a number")
    return amount


def to_optional_decimal(value: object, name: str) -> Decimal | None:
    """Return an amount, or None when the field is absent or empty."""
    if value is None or value == "":
        return None
    return to_decimal(value, name)


def to_str(value: object, name: str) -> str:
    """Return a text field; numbers are accepted and written as the API would."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise SmsPilotResponseError(f"Field {name!r} is not text")


def to_text(value: object) -> str:
    """Render any extra attribute as text, whatever JSON type it came in."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_status(value: object, name: str = "status") -> MessageStatus | int:
    """Return a known status as MessageStatus and keep an unknown code as a plain int."""
    code = to_int(value, name)
    try:
        return MessageStatus(code)
    except ValueError:
        return code


def to_datetime(value: object) -> datetime | None:
    """Read the API's "YYYY-MM-DD HH:MM[:SS]" time (UTC) or a unix time; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_timestamp(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return _from_timestamp(int(text))
    for pattern in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _from_timestamp(value: float) -> datetime | None:
    """Convert a unix time to an aware UTC datetime; None when out of range."""
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_error_detail(code: object, error_en: object, error_ru: object) -> ApiErrorDetail | None:
    """Build a per-message error from `error`, `error_en`, `error_ru`; None when `error` is 0."""
    if code is None or code in {"", "0", 0}:
        return None
    return ApiErrorDetail(
        code=to_int(code, "error"),
        description=to_text(error_en),
        description_ru=to_text(error_ru),
    )
