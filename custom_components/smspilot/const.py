"""Constants and vocabularies of the SMSPilot integration."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
import logging
import os
from typing import Final

DOMAIN: Final = "smspilot"
LOGGER = logging.getLogger(__package__)

CONF_API_URL: Final = "api_url"
CONF_DEFAULT_SENDER: Final = "default_sender"
# Set when Home Assistant Cloud gave the account's webhook a public address.
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"

# The balance changes only when money is spent or added; every send also reports it,
# so a slow poll keeps the dashboard right without pestering the provider.
ACCOUNT_SCAN_INTERVAL: Final = timedelta(minutes=15)
SMS_COUNT_SCAN_INTERVAL: Final = timedelta(hours=1)
# SMSPilot asks clients without status callbacks to check statuses after five minutes.
STATUS_POLL_INTERVAL: Final = timedelta(minutes=5)
# Without a public webhook address, inbound SMS are fetched at this pace.
INBOUND_POLL_INTERVAL: Final = timedelta(minutes=5)

ACCOUNT_URL: Final = "https://smspilot.ru/my.php"
API_KEY_URL: Final = "https://smspilot.ru/my-settings.php"
PUBLIC_API_URL: Final = "https://smspilot.ru/api.php"


def default_api_url() -> str:
    """Return the API address new accounts use.

    SMSPILOT_API_URL lets a development or test Home Assistant point new accounts at a
    local SMSPilot emulator without opening the advanced section.
    """
    return os.environ.get("SMSPILOT_API_URL") or PUBLIC_API_URL


class SendKind(StrEnum):
    """What a send asks SMSPilot to deliver."""

    SMS = "sms"
    VOICE = "voice"
    FLASHCALL = "flashcall"


class NumberCheck(StrEnum):
    """How a number check asks whether a phone is served (HLR), online (PING) or both."""

    HLR = "hlr"
    PING = "ping"
    HLRVIP = "hlrvip"


# What the delivery tracker follows: a message (SMS, call, FlashCall) or a number check.
type TrackedKind = SendKind | NumberCheck

# Recipients live as config subentries of an account; each is reached by SMS or a call.
SUBENTRY_RECIPIENT: Final = "recipient"
CONF_PHONE: Final = "phone"
CONF_CHANNEL: Final = "channel"
CHANNEL_SMS: Final = SendKind.SMS.value
CHANNEL_VOICE: Final = SendKind.VOICE.value

# Chats with Assist live as config subentries too: one per phone number.
SUBENTRY_CHAT: Final = "chat"
CONF_USER_ID: Final = "user_id"
CONF_AGENT_ID: Final = "agent_id"
CONF_LANGUAGE: Final = "language"
CONF_PIN: Final = "pin"
CONF_MAX_PARTS: Final = "max_parts"
CONF_HOUR_LIMIT: Final = "replies_per_hour"
CONF_DAY_LIMIT: Final = "replies_per_day"
DEFAULT_AGENT_ID: Final = "conversation.home_assistant"
DEFAULT_MAX_PARTS: Final = 2
DEFAULT_HOUR_LIMIT: Final = 10
DEFAULT_DAY_LIMIT: Final = 50

# Bus events automations listen to.
EVENT_MESSAGE_STATUS: Final = "smspilot_message_status"
EVENT_SMS_RECEIVED: Final = "smspilot_sms_received"
EVENT_CHAT: Final = "smspilot_chat"

# Dispatcher signals, formatted with the config entry id.
SIGNAL_MESSAGE_STATUS: Final = "smspilot_message_status_{}"
SIGNAL_SMS_RECEIVED: Final = "smspilot_sms_received_{}"
SIGNAL_PUBLIC_URL: Final = "smspilot_public_url_{}"

# Keys of action fields and notify data shared by several modules.
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_SENDER: Final = "sender"
ATTR_SEND_AT: Final = "send_at"
ATTR_TTL: Final = "ttl"

# Repair issues, suffixed with the config entry id.
ISSUE_NO_PUBLIC_URL: Final = "no_public_url"
ISSUE_ACCOUNT_BLOCKED: Final = "account_blocked"
ISSUE_NO_SURVEY_TEMPLATE: Final = "no_survey_template"
