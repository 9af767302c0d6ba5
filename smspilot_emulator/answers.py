"""JSON-shaped pieces of answers: message items, inbound items, error bodies, callback parameters."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from yarl import URL

from .pricing import money
from .state import InboundRecord, Message, format_time
from .texts import (
    BLOCKED_STATUS,
    BLOCKED_STATUS_RU,
    ERRORS,
    USER_BLOCKED,
    ApiError,
    error_code_value,
)

ALL_FIELDS = "all"


class AnswerKind(StrEnum):
    """Which API-1 request an answer belongs to (the text formats differ per kind)."""

    SEND = "send"
    VOICE_SEND = "voice_send"
    COST = "cost"
    CHECK = "check"
    BALANCE = "balance"
    INBOUND = "inbound"
    USER_INFO = "user_info"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The answer to one API request, plus the stored packet whose status timers must start."""

    kind: AnswerKind
    body: dict[str, object]
    packet: list[Message] = field(default_factory=list)


def parse_fields(value: str | None) -> frozenset[str]:
    """Split a `fields` parameter ("sender,parts" or "all") into lower-case names."""
    if not value:
        return frozenset()
    return frozenset(name.strip().lower() for name in value.split(",") if name.strip())


def message_attributes(message: Message) -> dict[str, str]:
    """Return every optional attribute of a message, as the text the API would show."""
    attributes = {
        "sender": message.sender,
        "created": format_time(message.created),
        "modified": format_time(message.modified),
        "parts": str(message.parts),
        "country": message.country,
        "operator": message.operator,
        "message": message.text,
    }
    if message.sender_orig is not None:
        attributes["sender_orig"] = message.sender_orig
    if message.send_at is not None:
        attributes["send_datetime"] = format_time(message.send_at)
    if message.ttl is not None:
        attributes["ttl"] = str(message.ttl)
    attributes.update(message.hlr)
    return attributes


def selected_attributes(message: Message, fields: Collection[str]) -> dict[str, str]:
    """Return the optional attributes a `fields` list asks for ("all" means every one)."""
    if not fields:
        return {}
    attributes = message_attributes(message)
    if ALL_FIELDS in fields:
        return attributes
    return {name: value for name, value in attributes.items() if name in fields}


def error_attributes(code: int | None) -> dict[str, str]:
    """Return error, error_en and error_ru for a per-message error, or nothing without one."""
    if code is None:
        return {}
    text = ERRORS[code]
    return {"error": str(code), "error_en": text.description, "error_ru": text.description_ru}


def message_item(message: Message, fields: Collection[str]) -> dict[str, str]:
    """Return one element of a `send` or `check` array."""
    item = {
        "server_id": str(message.server_id),
        "phone": message.phone,
        "price": money(message.price),
        "status": str(message.status),
    }
    item.update(error_attributes(message.error))
    for name, value in selected_attributes(message, fields).items():
        item.setdefault(name, value)
    return item


def inbound_item(record: InboundRecord) -> dict[str, str]:
    """Return one element of an `inbound` array."""
    return {
        "id": str(record.id),
        "phone": record.phone,
        "num": record.num,
        "text": record.text,
        "created": format_time(record.created),
        "seen": "1" if record.seen else "0",
    }


def error_body(error: ApiError, ip: str) -> dict[str, object]:
    """Return the `{"error": {...}}` body for a refused request."""
    text = error.text
    details: dict[str, object] = {
        "code": error_code_value(error.code),
        "description": text.description,
        "description_ru": text.description_ru,
    }
    if error.code == USER_BLOCKED:
        details["status"] = BLOCKED_STATUS
        details["status_ru"] = BLOCKED_STATUS_RU
    if error.phone is not None:
        # 215 (invalid phone length) and 227 (2WAY spam protection) name the phone.
        details["phone"] = error.phone
    details["ip"] = ip
    return {"error": details}


def callback_params(message: Message, callback_url: str) -> dict[str, str]:
    """Return what a status callback carries; a `fields` query in its URL adds attributes."""
    params = {
        "server_id": str(message.server_id),
        "phone": message.phone,
        "status": str(message.status),
        "error": "0",
    }
    params.update(error_attributes(message.error))
    url_query: Mapping[str, str] = URL(callback_url).query
    for name, value in selected_attributes(message, parse_fields(url_query.get("fields"))).items():
        params.setdefault(name, value)
    return params
