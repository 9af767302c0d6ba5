"""Status vocabulary: stable names of SMSPilot status codes, finality and order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .api import MessageStatus
from .const import NumberCheck

# The fields HLRVIP answers carry, as spelled in SMSPilot API-1 section 3.3. The document
# lists "mnc" twice; the first one describes the serving switch, so an "msc" field is passed
# on when SMSPilot sends one, but only the spelled-out names are asked for.
HLRVIP_FIELDS: Final = ("imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet")
HLRVIP_DETAILS: Final = ("imsi", "msc", "mcc", "mnc", "cn", "net", "gcn", "gnet")
# What any state may add: the country and operator of the number.
NUMBER_CHECK_FIELDS: Final = (*HLRVIP_DETAILS, "country", "operator")

_SMS_NAMES: Final[Mapping[int, str]] = {
    MessageStatus.ERROR: "error",
    MessageStatus.NOT_DELIVERED: "not_delivered",
    MessageStatus.ACCEPTED: "accepted",
    MessageStatus.SENT_TO_OPERATOR: "sent_to_operator",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.SCHEDULED: "scheduled",
}
# The document's status table names the final statuses of number checks differently.
_HLR_NAMES: Final[Mapping[int, str]] = {
    **_SMS_NAMES,
    MessageStatus.NOT_DELIVERED: "not_served",
    MessageStatus.DELIVERED: "served",
}
_PING_NAMES: Final[Mapping[int, str]] = {
    **_SMS_NAMES,
    MessageStatus.NOT_DELIVERED: "offline",
    MessageStatus.DELIVERED: "online",
}
_NAMES_BY_KIND: Final[Mapping[str, Mapping[int, str]]] = {
    NumberCheck.HLR: _HLR_NAMES,
    # HLRVIP is an HLR lookup that falls back to PING; it answers whether the number is served.
    NumberCheck.HLRVIP: _HLR_NAMES,
    NumberCheck.PING: _PING_NAMES,
}
STATUS_NAMES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys([*_SMS_NAMES.values(), *_HLR_NAMES.values(), *_PING_NAMES.values()])
)
UNKNOWN_STATUS_NAME: Final = "unknown"

FINAL_STATUSES: Final = frozenset(status for status in MessageStatus if status.is_final)
# A status only moves forward: scheduled -> accepted -> passed to operator -> final.
_STAGE: Final[Mapping[int, int]] = {
    MessageStatus.SCHEDULED: 0,
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SENT_TO_OPERATOR: 2,
    **dict.fromkeys(FINAL_STATUSES, 3),
}
_UNKNOWN_STAGE: Final = 2


def status_name(kind: str, status: int) -> str:
    """Return the stable English name of a status code for a kind of message or check."""
    return _NAMES_BY_KIND.get(kind, _SMS_NAMES).get(int(status), UNKNOWN_STATUS_NAME)


def is_final(status: int) -> bool:
    """Return True for a status that will not change any more."""
    return int(status) in FINAL_STATUSES


def is_older(status: int, than: int) -> bool:
    """Return True when `status` comes before `than` in a message's life."""
    return _STAGE.get(int(status), _UNKNOWN_STAGE) < _STAGE.get(int(than), _UNKNOWN_STAGE)
