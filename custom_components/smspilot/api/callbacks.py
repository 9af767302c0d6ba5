"""Parse the requests SMSPilot makes to our webhooks: status callbacks and inbound SMS."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ._values import to_error_detail, to_int, to_status
from .errors import SmsPilotResponseError
from .models import InboundSms, StatusCallback

_STATUS_KEYS: Final = frozenset({"server_id", "phone", "status", "error", "error_en", "error_ru"})


def _required(form: Mapping[str, str], key: str) -> str:
    """Return a non-empty field of the form or raise SmsPilotResponseError."""
    value = form.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SmsPilotResponseError(f"Field {key!r} is missing")
    return value.strip()


def parse_status_callback(form: Mapping[str, str]) -> StatusCallback:
    """Read a status callback (query string or form) into a StatusCallback.

    Raises SmsPilotResponseError when server_id, phone or status is missing or not a number,
    so a webhook can answer 400.
    """
    server_id = to_int(_required(form, "server_id"), "server_id")
    phone = _required(form, "phone")
    status = to_status(_required(form, "status"))
    error = to_error_detail(
        form.get("error", "").strip(), form.get("error_en", ""), form.get("error_ru", "")
    )
    return StatusCallback(
        server_id=server_id,
        phone=phone,
        status=status,
        error=error,
        attributes=MappingProxyType(
            {key: value for key, value in form.items() if key not in _STATUS_KEYS}
        ),
    )


def parse_inbound_sms(form: Mapping[str, str]) -> InboundSms:
    """Read an inbound SMS webhook form (phone, message, user_id, id, num) into an InboundSms.

    `message` may be empty (an empty SMS is still an SMS) and `num` may be absent; the
    other fields are required. Raises SmsPilotResponseError otherwise.
    """
    message = form.get("message")
    if not isinstance(message, str):
        raise SmsPilotResponseError("Field 'message' is missing")
    num = form.get("num", "")
    return InboundSms(
        id=to_int(_required(form, "id"), "id"),
        phone=_required(form, "phone"),
        message=message,
        user_id=_required(form, "user_id"),
        num=num.strip() if isinstance(num, str) else "",
    )
