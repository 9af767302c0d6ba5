"""What the inbound mailbox remembers: announced ids and the point it must fetch from.

Each account keeps `.storage/smspilot.<entry_id>.inbound`. When an account is deleted its
memory moves, for TOMBSTONE_TTL, into `.storage/smspilot.removed_accounts` under the SMSPilot
user id, so that adding the same account again neither announces old SMS a second time nor
skips those that arrived in between; after that it is gone.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN

STORAGE_VERSION: Final = 1
# Enough to outlast any retry or replay window SMSPilot could have, small enough to load fast.
REMEMBERED_IDS: Final = 10_000
# A burst of SMS is written once; a crash loses at most these seconds of memory.
SAVE_DELAY: Final = 2
TOMBSTONE_KEY: Final = f"{DOMAIN}.removed_accounts"
TOMBSTONE_TTL: Final = timedelta(days=7)
TOMBSTONE_IDS: Final = 1000


@dataclass(slots=True)
class MailboxMemory:
    """Announced ids (oldest first) and the recovery point of one account."""

    handled: OrderedDict[int, None] = field(default_factory=OrderedDict)
    # Everything that arrived before this time was announced or is in `handled`; None: use
    # `inbound=new`. Mail older than `history_before` is history and is never announced.
    recover_since: datetime | None = None
    history_before: datetime | None = None

    def remember(self, sms_id: int) -> None:
        """Remember an announced id, forgetting the oldest beyond the limit."""
        self.handled[sms_id] = None
        while len(self.handled) > REMEMBERED_IDS:
            self.handled.popitem(last=False)

    def as_dict(self, limit: int = REMEMBERED_IDS) -> dict[str, Any]:
        """Return the JSON form kept in storage."""
        ids = list(self.handled)
        return {
            "handled_ids": ids[-limit:],
            "recover_since": _iso(self.recover_since),
            "history_before": _iso(self.history_before),
        }

    @classmethod
    def from_dict(cls, data: object) -> MailboxMemory:
        """Read stored memory, keeping what is sound."""
        memory = cls()
        if not isinstance(data, dict):
            return memory
        ids = data.get("handled_ids")
        if isinstance(ids, list):
            memory.handled = OrderedDict.fromkeys(
                item for item in ids[-REMEMBERED_IDS:] if isinstance(item, int)
            )
        memory.recover_since = _time(data.get("recover_since"))
        memory.history_before = _time(data.get("history_before"))
        return memory


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = dt_util.parse_datetime(value)
    return moment if moment is not None and moment.tzinfo is not None else None


class MailboxStore:
    """The storage of one account's mailbox memory."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Open the account's store."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, self.key(entry_id))
        self._save_planned = False

    @staticmethod
    def key(entry_id: str) -> str:
        """Return the storage key of an account's inbound-SMS memory."""
        return f"{DOMAIN}.{entry_id}.inbound"

    async def async_load(self) -> MailboxMemory | None:
        """Return the stored memory, or None when the account has none yet."""
        data = await self._store.async_load()
        return None if data is None else MailboxMemory.from_dict(data)

    @callback
    def async_delay_save(self, memory: MailboxMemory) -> None:
        """Write the memory soon (and at the latest when Home Assistant stops).

        A burst of SMS plans one write: the timer is not moved on by every SMS.
        """
        if self._save_planned:
            return
        self._save_planned = True

        def data() -> dict[str, Any]:
            self._save_planned = False
            return memory.as_dict()

        self._store.async_delay_save(data, SAVE_DELAY)

    async def async_save(self, memory: MailboxMemory) -> None:
        """Write the memory now."""
        self._save_planned = False
        await self._store.async_save(memory.as_dict())

    async def async_remove(self) -> None:
        """Delete the stored memory."""
        await self._store.async_remove()


class Tombstones:
    """Memory of deleted accounts, by SMSPilot user id, kept for TOMBSTONE_TTL."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Open the integration's store of deleted accounts."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, TOMBSTONE_KEY)

    async def _async_load(self) -> dict[str, dict[str, Any]]:
        data = await self._store.async_load()
        cutoff = dt_util.utcnow() - TOMBSTONE_TTL
        return {
            account: item
            for account, item in (data or {}).items()
            if isinstance(item, dict)
            and (removed := _time(item.get("removed_at")))
            and removed > cutoff
        }

    async def async_bury(self, account_id: str, memory: MailboxMemory) -> None:
        """Keep the memory of a deleted account."""
        items = await self._async_load()
        items[account_id] = {
            **memory.as_dict(TOMBSTONE_IDS),
            "removed_at": dt_util.utcnow().isoformat(),
        }
        await self._store.async_save(items)

    async def async_take(self, account_id: str) -> MailboxMemory | None:
        """Return and forget the memory of an account deleted lately, if there is one."""
        items = await self._async_load()
        item = items.pop(account_id, None)
        if item is None:
            return None
        await self._async_write(items)
        return MailboxMemory.from_dict(item)

    async def _async_write(self, items: dict[str, Any]) -> None:
        if items:
            await self._store.async_save(items)
        else:
            await self._store.async_remove()
