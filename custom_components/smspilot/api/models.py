"""Immutable data returned by the SMSPilot client and the webhook parsers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType


def _no_attributes() -> Mapping[str, str]:
    """Return an empty read-only attribute mapping."""
    return MappingProxyType({})


class MessageStatus(IntEnum):
    """Status code of a message, call or number check."""

    ERROR = -2
    NOT_DELIVERED = -1
    ACCEPTED = 0
    SENT_TO_OPERATOR = 1
    DELIVERED = 2
    SCHEDULED = 3

    @property
    def is_final(self) -> bool:
        """Return True when the status will not change any more."""
        return self in (MessageStatus.ERROR, MessageStatus.NOT_DELIVERED, MessageStatus.DELIVERED)


class NumberCheckMethod(StrEnum):
    """How a phone number is checked: operator HLR lookup, silent PING, or both (HLRVIP)."""

    HLR = "HLR"
    PING = "PING"
    HLRVIP = "HLRVIP"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiErrorDetail:
    """Error reported for one message (in a packet, a status answer or a status callback)."""

    code: int
    description: str
    description_ru: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInfo:
    """The account behind an API key."""

    id: str
    tariff_id: str
    email: str
    name: str
    phone: str
    balance: Decimal
    registered: datetime | None
    default_sender: str | None
    senders: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _MessageRecord:
    """Fields shared by a just-sent message and a later status answer."""

    server_id: int
    phone: str
    status: MessageStatus | int
    price: Decimal | None
    error: ApiErrorDetail | None = None
    # Every other field of the answer (sender, parts, created, imsi, ...) as text.
    attributes: Mapping[str, str] = field(default_factory=_no_attributes)


@dataclass(frozen=True, slots=True, kw_only=True)
class SentMessage(_MessageRecord):
    """One message of a send answer; status -2 with `error` means this recipient was refused."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageState(_MessageRecord):
    """The current state of one message, as answered by a status request."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendOptions:
    """How a send goes out: when, for how long, for real or as a test, and where statuses go.

    `send_at` and `ttl` apply to SMS and calls; FlashCalls and number checks ignore them.
    """

    send_at: datetime | None = None
    ttl: int | None = None
    test: bool = False
    callback: str | None = None
    callback_method: str = "post"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """Answer to a send: the messages created and what the whole packet cost."""

    messages: tuple[SentMessage, ...]
    balance: Decimal | None
    cost: Decimal | None
    packet_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """An SMS received on the service number, as listed by an inbound request."""

    id: int
    phone: str
    num: str
    text: str
    created: datetime | None
    seen: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusCallback:
    """A status change pushed by SMSPilot to the `callback` URL of a message."""

    server_id: int
    phone: str
    status: MessageStatus | int
    error: ApiErrorDetail | None
    attributes: Mapping[str, str] = field(default_factory=_no_attributes)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSms:
    """An incoming SMS pushed by SMSPilot to the account's inbound webhook."""

    id: int
    phone: str
    message: str
    user_id: str
    num: str
