"""Diagnostics for SMSPilot: what helps a bug report, with secrets and personal data removed."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .api import UserInfo
from .const import CONF_CLOUDHOOK_URL
from .legacy_notify import DATA_LEGACY_NOTIFY
from .models import SmsPilotConfigEntry

# The key and webhook id are secrets; the rest identifies a person.
TO_REDACT = {
    CONF_API_KEY,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    "email",
    "name",
    "phone",
    "phones",
    "to",
    "unique_id",
}


def _plain(value: object) -> object:
    """Turn a model value into something JSON shows as the user would read it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _account_facts(info: UserInfo | None) -> dict[str, object] | None:
    """Return the account's user info as plain data."""
    if info is None:
        return None
    return {field.name: _plain(getattr(info, field.name)) for field in fields(info)}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsPilotConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for one SMSPilot account."""
    data = entry.runtime_data
    account = data.coordinator
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "account": _account_facts(account.data),
            "account_last_update_success": account.last_update_success,
            "sms_count": data.sms_count_coordinator.data,
            "effective_sender": data.sender.effective_sender,
            "public_address": data.address.url is not None,
            "notify_actions": hass.data[DATA_LEGACY_NOTIFY].names(entry.entry_id),
            "delivery_status": {
                "pending": data.delivery.pending_count,
                "callbacks": data.delivery.callback_url is not None,
            },
            "inbound": {
                "received": data.mailbox.received,
                "duplicates": data.mailbox.duplicates,
                "rejected": data.mailbox.rejected,
                "polling": data.mailbox.polling,
            },
            "chat": {
                "answered": data.chat.answered,
                "pin_refused": data.chat.pin_refused,
                "limited": data.chat.limited,
                "dropped": data.chat.dropped,
                "failed": data.chat.failed,
            },
        },
        TO_REDACT,
    )
