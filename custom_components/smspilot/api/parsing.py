"""Turn decoded SMSPilot JSON answers into models, or into the matching exception."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from ._json import loads_tolerant
from ._values import (
    to_datetime,
    to_decimal,
    to_error_detail,
    to_int,
    to_optional_decimal,
    to_status,
    to_str,
    to_text,
)
from .errors import SmsPilotResponseError, error_for_code
from .models import InboundMessage, MessageState, SendResult, SentMessage, UserInfo

# Keys that become model fields; everything else in a message goes to `attributes`.
_MESSAGE_KEYS: Final = frozenset(
    {"server_id", "phone", "price", "status", "error", "error_en", "error_ru"}
)
_ERROR_KEYS: Final = frozenset({"code", "description", "description_ru"})
# The voice example moves these from the top level into an extra element of `send`.
_PACKET_KEYS: Final = ("balance", "cost", "server_packet_id")


def decode_answer(body: str) -> dict[str, object]:
    """Decode an answer body, raise the API's error if it is one, and return the object."""
    data = loads_tolerant(body)
    if not isinstance(data, dict):
        raise SmsPilotResponseError("Answer is not a JSON object")
    raise_for_error(data)
    return data


def raise_for_error(data: Mapping[str, object]) -> None:
    """Raise the exception for an `{"error": {...}}` answer; do nothing otherwise."""
    if "error" not in data:
        return
    raw = data["error"]
    if isinstance(raw, Mapping):
        code = _error_code(raw.get("code"))
        raise error_for_code(
            code,
            to_text(raw.get("description")),
            to_text(raw.get("description_ru")),
            {str(key): to_text(value) for key, value in raw.items() if key not in _ERROR_KEYS},
        )
    # Not the documented shape, but clearly an error: keep whatever text it carries.
    raise error_for_code(None, to_text(raw), "")


def _error_code(value: object) -> int | None:
    """Return the error code (string or number in the document); None when unreadable."""
    try:
        return to_int(value, "code")
    except SmsPilotResponseError:
        return None


def _items(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    """Return the list of objects under `key`, or raise when the shape is wrong."""
    value = data.get(key)
    if not isinstance(value, list):
        raise SmsPilotResponseError(f"Answer has no {key!r} list")
    items: list[Mapping[str, object]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise SmsPilotResponseError(f"An element of {key!r} is not an object")
        items.append(item)
    return items


def _message[RecordT: (SentMessage, MessageState)](
    item: Mapping[str, object], record_class: type[RecordT]
) -> RecordT:
    """Build one message record from an element of a `send` or `check` list."""
    for key in ("server_id", "phone", "status"):
        if key not in item:
            raise SmsPilotResponseError(f"A message has no {key!r}")
    return record_class(
        server_id=to_int(item["server_id"], "server_id"),
        phone=to_str(item["phone"], "phone"),
        status=to_status(item["status"]),
        price=to_optional_decimal(item.get("price"), "price"),
        error=to_error_detail(item.get("error"), item.get("error_en"), item.get("error_ru")),
        attributes=MappingProxyType(
            {str(key): to_text(value) for key, value in item.items() if key not in _MESSAGE_KEYS}
        ),
    )


def parse_send_result(data: Mapping[str, object]) -> SendResult:
    """Read a send answer (SMS, voice, FlashCall, 2WAY, HLR/PING/HLRVIP)."""
    packet: dict[str, object] = {}
    messages: list[SentMessage] = []
    for item in _items(data, "send"):
        if "server_id" in item or "phone" in item:
            messages.append(_message(item, SentMessage))
        else:
            packet.update(item)
    if not messages:
        raise SmsPilotResponseError("Send answer lists no messages")
    packet.update((key, data[key]) for key in _PACKET_KEYS if key in data)
    packet_id = packet.get("server_packet_id")
    return SendResult(
        messages=tuple(messages),
        balance=to_optional_decimal(packet.get("balance"), "balance"),
        cost=to_optional_decimal(packet.get("cost"), "cost"),
        packet_id=None if packet_id in (None, "") else to_int(packet_id, "server_packet_id"),
    )


def parse_states(data: Mapping[str, object]) -> tuple[MessageState, ...]:
    """Read a status (`check`) answer."""
    return tuple(_message(item, MessageState) for item in _items(data, "check"))


def parse_cost(data: Mapping[str, object]) -> Decimal:
    """Read a cost estimate answer."""
    if "cost" not in data:
        raise SmsPilotResponseError("Answer has no 'cost'")
    return to_decimal(data["cost"], "cost")


def parse_balance(data: Mapping[str, object]) -> Decimal:
    """Read a balance answer in roubles."""
    if "balance" not in data:
        raise SmsPilotResponseError("Answer has no 'balance'")
    return to_decimal(data["balance"], "balance")


def parse_balance_sms(data: Mapping[str, object]) -> int:
    """Read a balance answer given as an approximate number of SMS."""
    # The count is approximate; a fractional answer is cut to whole messages.
    return int(parse_balance(data))


def parse_inbound(data: Mapping[str, object]) -> tuple[InboundMessage, ...]:
    """Read an inbound list answer."""
    if data.get("inbound", ()) is None:
        # An empty mailbox may come back as null.
        return ()
    messages: list[InboundMessage] = []
    for item in _items(data, "inbound"):
        for key in ("id", "phone", "text"):
            if key not in item:
                raise SmsPilotResponseError(f"An inbound message has no {key!r}")
        messages.append(
            InboundMessage(
                id=to_int(item["id"], "id"),
                phone=to_str(item["phone"], "phone"),
                num=to_text(item.get("num")),
                text=to_str(item["text"], "text"),
                created=to_datetime(item.get("created")),
                seen=to_text(item.get("seen")).strip().lower() not in ("", "0", "false"),
            )
        )
    return tuple(messages)


def parse_user_info(data: Mapping[str, object]) -> UserInfo:
    """Read a user information answer."""
    for key in ("id", "balance"):
        if key not in data:
            raise SmsPilotResponseError(f"User information has no {key!r}")
    senders = to_text(data.get("senders"))
    default_sender = to_text(data.get("default_sender")).strip()
    return UserInfo(
        id=to_str(data["id"], "id"),
        tariff_id=to_text(data.get("tariff_id")),
        email=to_text(data.get("email")).strip(),
        name=to_text(data.get("name")).strip(),
        phone=to_text(data.get("phone")).strip(),
        balance=to_decimal(data["balance"], "balance"),
        registered=to_datetime(data.get("date")),
        default_sender=default_sender or None,
        senders=tuple(sender.strip() for sender in senders.split(",") if sender.strip()),
    )
