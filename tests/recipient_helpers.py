"""An account with recipients, and the sends the emulator saw."""

from __future__ import annotations

from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smspilot.const import (
    CHANNEL_SMS,
    CHANNEL_VOICE,
    CONF_CHANNEL,
    CONF_PHONE,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from smspilot_emulator import Emulator, RecordedRequest

MOM = "79161111111"
DAD = "79162222222"
KID = "79163333333"


def recipient(subentry_id: str, title: str, phone: str, channel: str) -> dict[str, Any]:
    """Return the stored form of one recipient subentry."""
    return {
        "subentry_id": subentry_id,
        "subentry_type": SUBENTRY_RECIPIENT,
        "title": title,
        "unique_id": f"{channel}_{phone}",
        "data": {CONF_PHONE: phone, CONF_CHANNEL: channel},
    }


def with_family(entry: MockConfigEntry) -> MockConfigEntry:
    """Return the account of `entry` with two SMS recipients (Mom, Kid) and a voice one (Dad)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        subentries_data=[
            recipient("mom", "Mom", MOM, CHANNEL_SMS),
            recipient("dad", "Dad", DAD, CHANNEL_VOICE),
            recipient("kid", "Kid", KID, CHANNEL_SMS),
        ],
    )


def sends(emulator: Emulator) -> list[RecordedRequest]:
    """Return the emulator's requests that sent something."""
    return [request for request in emulator.requests if "send" in request.params]
