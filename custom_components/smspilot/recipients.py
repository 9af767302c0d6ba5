"""The people an account sends to: its recipient subentries."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import CONF_CHANNEL, CONF_PHONE, SUBENTRY_RECIPIENT


def recipients(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    """Return the account's recipient subentries."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]


def international(phone: str) -> str:
    """Mark a saved recipient number (international digits) as international.

    Saved numbers are already normalised; without the "+" they would be read again as numbers
    of Home Assistant's country, which is wrong for a foreign recipient.
    """
    return phone if phone.startswith("+") else f"+{phone}"


def recipient_phones(entry: ConfigEntry[Any], channel: str) -> list[str]:
    """Return the phones of the account's recipients that use this channel, each once."""
    return list(
        dict.fromkeys(
            international(subentry.data[CONF_PHONE])
            for subentry in recipients(entry)
            if subentry.data[CONF_CHANNEL] == channel
        )
    )


def with_title(message: str, title: str | None) -> str:
    """Put a notification's title, when there is one, on its own line before the message."""
    return f"{title}\n{message}" if title else message
