"""Action answers: send results and message states as JSON-ready data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .api import ApiErrorDetail, MessageState, SendResult, SentMessage
from .errors import localized
from .statuses import NUMBER_CHECK_FIELDS, status_name


def money(value: Decimal | None) -> float | None:
    """Return roubles as a float for JSON (None stays None)."""
    return None if value is None else float(value)


def describe_send(kind: str, result: SendResult, language: str) -> dict[str, Any]:
    """Return a send answer as JSON-ready data."""
    return {
        "packet_id": result.packet_id,
        "cost": money(result.cost),
        "balance": money(result.balance),
        "messages": [describe_message(kind, message, language) for message in result.messages],
    }


def describe_message(
    kind: str, record: SentMessage | MessageState, language: str
) -> dict[str, Any]:
    """Return one message's state as JSON-ready data (number check details included)."""
    described: dict[str, Any] = {
        "server_id": record.server_id,
        "phone": record.phone,
        "price": money(record.price),
        "status": int(record.status),
        "status_name": status_name(kind, record.status),
        "error": describe_error(record.error, language),
    }
    described.update(
        (name, record.attributes[name])
        for name in NUMBER_CHECK_FIELDS
        if record.attributes.get(name)
    )
    return described


def describe_error(error: ApiErrorDetail | None, language: str) -> dict[str, Any] | None:
    """Return a per-message error with its code, text in the user's language and both texts."""
    if error is None:
        return None
    return {
        "code": error.code,
        "text": localized(error, language),
        "description": error.description,
        "description_ru": error.description_ru,
    }
