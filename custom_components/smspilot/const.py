"""Constants for the SMSPilot integration."""

from __future__ import annotations

from datetime import timedelta
import logging
import os
from typing import Final

DOMAIN: Final = "smspilot"
LOGGER = logging.getLogger(__package__)

CONF_API_URL: Final = "api_url"
CONF_DEFAULT_SENDER: Final = "default_sender"

# The balance changes only when money is spent or added; every send also reports it,
# so a slow poll keeps the dashboard right without pestering the provider.
ACCOUNT_SCAN_INTERVAL: Final = timedelta(minutes=15)
SMS_COUNT_SCAN_INTERVAL: Final = timedelta(hours=1)

ACCOUNT_URL: Final = "https://smspilot.ru/my.php"
API_KEY_URL: Final = "https://smspilot.ru/my-settings.php"
PUBLIC_API_URL: Final = "https://smspilot.ru/api.php"


def default_api_url() -> str:
    """Return the API address new accounts use.

    SMSPILOT_API_URL lets a development or test Home Assistant point new accounts at a
    local SMSPilot emulator without the advanced-mode field.
    """
    return os.environ.get("SMSPILOT_API_URL") or PUBLIC_API_URL


# Bus events automations listen to.
EVENT_MESSAGE_STATUS: Final = "smspilot_message_status"
EVENT_SMS_RECEIVED: Final = "smspilot_sms_received"

# Recipients live as config subentries of an account.
SUBENTRY_RECIPIENT: Final = "recipient"
CONF_PHONE: Final = "phone"
CONF_CHANNEL: Final = "channel"
CHANNEL_SMS: Final = "sms"
CHANNEL_VOICE: Final = "voice"

# Set when Home Assistant Cloud gave the account's webhook a public address.
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"

# SMSPilot asks clients without status callbacks to check statuses after five minutes.
STATUS_POLL_INTERVAL: Final = timedelta(minutes=5)
# Without a public webhook address, inbound SMS are fetched at this pace.
INBOUND_POLL_INTERVAL: Final = timedelta(minutes=5)

# Dispatcher signals, formatted with the config entry id.
SIGNAL_MESSAGE_STATUS: Final = "smspilot_message_status_{}"
SIGNAL_SMS_RECEIVED: Final = "smspilot_sms_received_{}"
