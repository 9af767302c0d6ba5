"""What the delivery tracker keeps: pending messages in storage, early statuses in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import time
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import StatusCallback
from .const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 1
# Status changes come in bursts (a packet to many phones); one write covers a burst.
SAVE_DELAY: Final = 10.0
# SMSPilot's `check=recent` covers 24 hours and a message lives at most 24 hours (ttl 1440),
# so three days leaves room for delayed sending and a Home Assistant that was off for a while.
MAX_PENDING_AGE: Final = timedelta(days=3)
# A callback may overtake the answer of its own send; it is kept this long for it.
EARLY_CALLBACK_TTL: Final = 60.0
EARLY_CALLBACK_MEMORY: Final = 1000


@dataclass(slots=True, kw_only=True)
class PendingMessage:
    """A sent message (or number check) whose final status is still to come."""

    server_id: int
    packet_id: int | None
    phone: str
    kind: str
    status: int
    sent_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form kept in storage."""
        return {
            "server_id": self.server_id,
            "packet_id": self.packet_id,
            "phone": self.phone,
            "kind": self.kind,
            "status": self.status,
            "sent_at": self.sent_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingMessage | None:
        """Read one stored message; None when the record is damaged."""
        try:
            sent_at = dt_util.parse_datetime(str(data["sent_at"]))
            if sent_at is None or sent_at.tzinfo is None:
                return None
            packet_id = data.get("packet_id")
            return cls(
                server_id=int(data["server_id"]),
                packet_id=None if packet_id is None else int(packet_id),
                phone=str(data["phone"]),
                kind=str(data["kind"]),
                status=int(data["status"]),
                sent_at=sent_at,
            )
        except (KeyError, TypeError, ValueError):
            return None


class PendingStore:
    """The pending messages of one account in `.storage/smspilot.<entry_id>.pending`."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Open the account's store."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, self.key(entry_id))

    @staticmethod
    def key(entry_id: str) -> str:
        """Return the storage key of an account's pending messages."""
        return f"{DOMAIN}.{entry_id}.pending"

    async def async_load(self) -> list[PendingMessage]:
        """Return the stored messages that are still worth following, oldest first."""
        stored = await self._store.async_load()
        records = stored.get("messages", []) if isinstance(stored, dict) else []
        messages: dict[int, PendingMessage] = {}
        for record in records if isinstance(records, list) else []:
            message = PendingMessage.from_dict(record) if isinstance(record, dict) else None
            if message is None:
                LOGGER.debug("Skipping a damaged pending-message record")
                continue
            messages[message.server_id] = message
        return list(self.unexpired(messages).values())

    @staticmethod
    def unexpired(messages: dict[int, PendingMessage]) -> dict[int, PendingMessage]:
        """Return the messages sent within MAX_PENDING_AGE (the same dict when none expired)."""
        cutoff = dt_util.utcnow() - MAX_PENDING_AGE
        if all(message.sent_at >= cutoff for message in messages.values()):
            return messages
        kept = {sid: message for sid, message in messages.items() if message.sent_at >= cutoff}
        LOGGER.debug("Stopped tracking %d messages with no final status", len(messages) - len(kept))
        return kept

    @callback
    def async_delay_save(self, messages: Callable[[], Iterable[PendingMessage]]) -> None:
        """Write the messages `messages` returns soon; a burst of changes makes one write."""
        self._store.async_delay_save(lambda: _data(messages()), SAVE_DELAY)

    async def async_save(self, messages: Iterable[PendingMessage]) -> None:
        """Write the messages now."""
        await self._store.async_save(_data(messages))


def _data(messages: Iterable[PendingMessage]) -> dict[str, Any]:
    return {"messages": [message.as_dict() for message in messages]}


class EarlyStatuses:
    """Statuses for ids whose send has not answered yet, kept for EARLY_CALLBACK_TTL seconds."""

    def __init__(self) -> None:
        """Start empty."""
        self._statuses: dict[int, tuple[float, StatusCallback]] = {}

    def keep(self, status: StatusCallback) -> None:
        """Keep a status, dropping expired and excess ones."""
        now = time.monotonic()
        expired = [sid for sid, (at, _) in self._statuses.items() if now - at > EARLY_CALLBACK_TTL]
        for sid in expired:
            del self._statuses[sid]
        self._statuses.pop(status.server_id, None)
        self._statuses[status.server_id] = (now, status)
        while len(self._statuses) > EARLY_CALLBACK_MEMORY:
            del self._statuses[next(iter(self._statuses))]

    def take(self, server_id: int) -> StatusCallback | None:
        """Return and forget the status kept for an id, unless it expired."""
        kept = self._statuses.pop(server_id, None)
        if kept is None or time.monotonic() - kept[0] > EARLY_CALLBACK_TTL:
            return None
        return kept[1]
