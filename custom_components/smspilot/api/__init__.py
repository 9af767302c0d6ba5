"""Async client for the SMSPilot.ru HTTP API-1 (no Home Assistant dependencies)."""

from .callbacks import parse_inbound_sms, parse_status_callback
from .client import DEFAULT_API_URL, DEFAULT_REQUEST_TIMEOUT, SmsPilotClient
from .errors import (
    SmsPilotAccountBlockedError,
    SmsPilotAuthenticationError,
    SmsPilotConnectionError,
    SmsPilotError,
    SmsPilotInsufficientFundsError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    SmsPilotSpamProtectionError,
)
from .models import (
    ApiErrorDetail,
    InboundMessage,
    InboundSms,
    MessageState,
    MessageStatus,
    NumberCheckMethod,
    SendOptions,
    SendResult,
    SentMessage,
    StatusCallback,
    UserInfo,
)
from .text import SmsParts, count_sms_parts

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_REQUEST_TIMEOUT",
    "ApiErrorDetail",
    "InboundMessage",
    "InboundSms",
    "MessageState",
    "MessageStatus",
    "NumberCheckMethod",
    "SendOptions",
    "SendResult",
    "SentMessage",
    "SmsParts",
    "SmsPilotAccountBlockedError",
    "SmsPilotAuthenticationError",
    "SmsPilotClient",
    "SmsPilotConnectionError",
    "SmsPilotError",
    "SmsPilotInsufficientFundsError",
    "SmsPilotInvalidInputError",
    "SmsPilotResponseError",
    "SmsPilotSpamProtectionError",
    "StatusCallback",
    "UserInfo",
    "count_sms_parts",
    "parse_inbound_sms",
    "parse_status_callback",
]
