"""The inbound mailbox: each SMS announced exactly once, in order, and nothing lost.

SMS come from the webhook (announced at once, before the webhook answers) or from the
mailbox request (`inbound=new`, or by time after anything went wrong). A recovery point is
kept in storage: after a lost answer, a restart, a reload or a deleted and re-added account,
the next fetch asks by time from that point, and the memory of announced ids drops repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import InboundMessage, InboundSms, SmsPilotClient, SmsPilotError
from .const import (
    DOMAIN,
    EVENT_SMS_RECEIVED,
    INBOUND_POLL_INTERVAL,
    LOGGER,
    SIGNAL_SMS_RECEIVED,
)
from .mailbox_store import MailboxMemory, MailboxStore, Tombstones

# SMSPilot's mailbox times have minutes only (and the provider's clock may differ a little).
MAILBOX_HISTORY_MARGIN: Final = timedelta(minutes=10)
# Clock differences between Home Assistant and SMSPilot: a fetch by time reaches back this
# much further; the memory of announced ids drops what was already announced.
INBOUND_RECOVERY_MARGIN: Final = timedelta(minutes=5)

type TaskStarter = Callable[[Coroutine[Any, Any, Any], str], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedSms:
    """An inbound SMS as automations and entities see it."""

    id: int
    phone: str
    message: str
    num: str
    received_at: datetime
    # The same as plain data (the time as ISO 8601), made once for the event and the sensor.
    attributes: dict[str, Any]

    @classmethod
    def make(cls, sms_id: int, phone: str, message: str, num: str, at: datetime) -> ReceivedSms:
        """Build the SMS and its plain-data form."""
        attributes = {
            "id": sms_id,
            "phone": phone,
            "message": message,
            "num": num,
            "received_at": at.isoformat(),
        }
        return cls(
            id=sms_id, phone=phone, message=message, num=num, received_at=at, attributes=attributes
        )


class InboundMailbox:
    """Announce each inbound SMS of one account once."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: SmsPilotClient,
        *,
        created_at: datetime,
        start_task: TaskStarter,
    ) -> None:
        """Prepare the mailbox; `async_load` restores what was already handled."""
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._created_at = created_at
        self._start_task = start_task
        self._store = MailboxStore(hass, entry_id)
        self._memory = MailboxMemory()
        self._signal = SIGNAL_SMS_RECEIVED.format(entry_id)
        self.last: ReceivedSms | None = None
        # Counters shown in diagnostics.
        self.received = 0
        self.duplicates = 0
        self.rejected = 0
        self._fetch_failed = False
        self._fetching = False
        self._stop_polling: CALLBACK_TYPE | None = None
        self._stop_listening: CALLBACK_TYPE | None = None

    @property
    def polling(self) -> bool:
        """Tell whether inbound SMS are fetched on a timer (no public webhook address)."""
        return self._stop_polling is not None

    async def async_load(self, account_id: str) -> None:
        """Restore the account's memory (or that of the same account deleted lately)."""
        memory = await self._store.async_load()
        if memory is None and (memory := await Tombstones(self._hass).async_take(account_id)):
            LOGGER.debug("Account %s was added again; its SMS memory carries over", account_id)
            if memory.recover_since is not None:
                memory.history_before = memory.recover_since - INBOUND_RECOVERY_MARGIN
            await self._store.async_save(memory)
        self._memory = memory or MailboxMemory()
        if self._memory.history_before is None:
            # Mail older than the account in Home Assistant is history, not news: it must not
            # run automations (an old "open" must not open the gate), so it is only remembered.
            self._memory.history_before = self._created_at - MAILBOX_HISTORY_MARGIN

    @callback
    def async_start(self, *, polling: bool) -> None:
        """Fetch what arrived while nobody listened, then follow the webhook or poll."""
        self.set_polling(polling)
        self._stop_listening = self._hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._stopping)
        self._start_task(self.async_fetch(), f"{DOMAIN} inbound SMS catch-up")

    @callback
    def set_polling(self, enabled: bool) -> None:
        """Poll the mailbox without a public address; stop polling with one."""
        if enabled and self._stop_polling is None:
            self._stop_polling = async_track_time_interval(
                self._hass,
                self._poll,
                INBOUND_POLL_INTERVAL,
                name=f"{DOMAIN} inbound SMS poll",
                cancel_on_shutdown=True,
            )
        elif not enabled and self._stop_polling is not None:
            self._stop_polling()
            self._stop_polling = None

    async def async_unload(self) -> None:
        """Stop polling and save the memory with the point the next set-up fetches from."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        self._mark_offline()
        self.set_polling(False)
        await self._store.async_save(self._memory)

    @staticmethod
    async def async_remove_memory(hass: HomeAssistant, entry_id: str, account_id: str) -> None:
        """Forget a deleted account's memory, keeping it briefly for the account added again."""
        store = MailboxStore(hass, entry_id)
        if (memory := await store.async_load()) is not None:
            await Tombstones(hass).async_bury(account_id, memory)
        await store.async_remove()

    @callback
    def receive(self, sms: InboundSms) -> bool:
        """Announce an SMS the webhook received, unless it was announced before."""
        return self._announce(sms.id, sms.phone, sms.message, sms.num, dt_util.utcnow())

    async def async_fetch(self) -> int:
        """Fetch SMS from the mailbox and announce the new ones; return how many came."""
        if self._fetching:
            return 0
        self._fetching = True
        started = dt_util.utcnow()
        since = self._memory.recover_since
        try:
            if since is not None:
                messages = await self._client.get_inbound(since=since - INBOUND_RECOVERY_MARGIN)
            else:
                messages = await self._client.get_inbound(new_only=True)
        except SmsPilotError as err:
            if since is None:
                # The answer may have been lost after SMSPilot marked the SMS as seen.
                self._memory.recover_since = started - INBOUND_POLL_INTERVAL
                self._store.async_delay_save(self._memory)
            if not self._fetch_failed:
                LOGGER.warning("Could not fetch inbound SMS from SMSPilot: %s", err)
                self._fetch_failed = True
            else:
                LOGGER.debug("Could not fetch inbound SMS from SMSPilot: %s", err)
            return 0
        finally:
            self._fetching = False
        if self._fetch_failed:
            LOGGER.info("Fetching inbound SMS from SMSPilot works again")
            self._fetch_failed = False
        self._memory.recover_since = None
        self._take(messages)
        self._store.async_delay_save(self._memory)
        return len(messages)

    def _take(self, messages: Iterable[InboundMessage]) -> None:
        """Announce fetched SMS in the order they arrived; only remember history."""
        history_before = self._memory.history_before
        for message in sorted(messages, key=lambda item: item.id):
            created = message.created
            if created is not None and history_before is not None and created < history_before:
                if message.id not in self._memory.handled:
                    LOGGER.debug("Inbound SMS %s predates the account; not announced", message.id)
                    self._memory.remember(message.id)
                continue
            self._announce(
                message.id, message.phone, message.text, message.num, created or dt_util.utcnow()
            )

    def _announce(self, sms_id: int, phone: str, text: str, num: str, at: datetime) -> bool:
        """Fire the event and tell the entities, once per SMS id."""
        if sms_id in self._memory.handled:
            self.duplicates += 1
            LOGGER.debug("Inbound SMS %s was already handled; ignoring the repeat", sms_id)
            return False
        self._memory.remember(sms_id)
        self._store.async_delay_save(self._memory)
        sms = ReceivedSms.make(sms_id, phone, text, num, at)
        self.received += 1
        self.last = sms
        LOGGER.debug("Inbound SMS %s received", sms_id)
        self._hass.bus.async_fire(
            EVENT_SMS_RECEIVED, {"config_entry_id": self._entry_id, **sms.attributes}
        )
        # The entities write their states right after: the webhook's answer need not wait.
        self._hass.loop.call_soon(async_dispatcher_send, self._hass, self._signal, sms)
        return True

    def _mark_offline(self) -> None:
        """Note from when on SMS may be missed: now with a webhook, else the last fetch."""
        if self._memory.recover_since is None and not self.polling:
            self._memory.recover_since = dt_util.utcnow()

    @callback
    def _stopping(self, _event: Event) -> None:
        """Home Assistant stops without unloading: save the recovery point with its last write."""
        self._mark_offline()
        self._store.async_delay_save(self._memory)

    @callback
    def _poll(self, _now: datetime) -> None:
        """Fetch the mailbox on the timer."""
        self._start_task(self.async_fetch(), f"{DOMAIN} inbound SMS poll")
