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
