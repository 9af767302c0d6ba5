"""Inbound SMS: each one announced exactly once, caught up by polling, shown by a sensor."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components.sensor import RestoreSensor
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import InboundMessage, InboundSms, SmsPilotClient, SmsPilotError
from .const import DOMAIN, EVENT_SMS_RECEIVED, INBOUND_POLL_INTERVAL, LOGGER, SIGNAL_SMS_RECEIVED
from .coordinator import SmsPilotConfigEntry
from .entity import account_device_info, account_id

STORAGE_VERSION: Final = 1
# Enough to outlast any retry or replay window SMSPilot could have, small enough to load fast.
REMEMBERED_IDS: Final = 10_000
# A burst of SMS is written once; a crash loses at most these seconds of memory.
SAVE_DELAY: Final = 2
# SMSPilot's mailbox times have minutes only (and the provider's clock may differ a little).
MAILBOX_HISTORY_MARGIN: Final = timedelta(minutes=10)
# Home Assistant refuses states longer than 255 characters.
STATE_MAX_LENGTH: Final = 255
ELLIPSIS: Final = "…"

ATTR_ID: Final = "id"
ATTR_PHONE: Final = "phone"
ATTR_MESSAGE: Final = "message"
ATTR_NUM: Final = "num"
ATTR_RECEIVED_AT: Final = "received_at"


def storage_key(entry_id: str) -> str:
    """Return the storage key of an account's inbound-SMS memory."""
    return f"{DOMAIN}.{entry_id}.inbound"


async def async_forget_inbound(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the inbound-SMS memory of a removed account."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedSms:
    """An inbound SMS as automations and entities see it."""

    id: int
    phone: str
    message: str
    num: str
    received_at: datetime

    def as_attributes(self) -> dict[str, Any]:
        """Return the SMS as plain data (the time as ISO 8601)."""
        return {
            ATTR_ID: self.id,
            ATTR_PHONE: self.phone,
            ATTR_MESSAGE: self.message,
            ATTR_NUM: self.num,
            ATTR_RECEIVED_AT: self.received_at.isoformat(),
        }


# Clock differences between Home Assistant and SMSPilot: a recovery fetch reaches back this far
# more; the de-duplication memory drops what was already announced.
INBOUND_RECOVERY_MARGIN: Final = timedelta(minutes=5)


class InboundProcessor:
    """Announce each inbound SMS of one account once, in the order it arrived."""

    def __init__(
        self, hass: HomeAssistant, entry: SmsPilotConfigEntry, client: SmsPilotClient
    ) -> None:
        """Prepare the processor; `async_load` restores what was already handled."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.last: ReceivedSms | None = None
        # Counters shown in diagnostics.
        self.received = 0
        self.duplicates = 0
        self.rejected = 0
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry.entry_id)
        )
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._queue: deque[tuple[InboundSms, datetime]] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._fetch_lock = asyncio.Lock()
        self._fetch_failed = False
        # When a fetch fails, its answer may have been lost after SMSPilot marked the SMS as
        # seen; the next fetch then asks by time, from the last fetch that surely worked.
        self._last_good_fetch: datetime | None = None
        self._recover_since: datetime | None = None
        self._dirty = False
        self._stop_polling: CALLBACK_TYPE | None = None
        self._stop_watching_state: CALLBACK_TYPE | None = None

    @property
    def polling(self) -> bool:
        """Tell whether inbound SMS are fetched on a timer (no public webhook address)."""
        return self._stop_polling is not None

    async def async_load(self) -> None:
        """Restore the ids of SMS already announced, so a replay stays silent after a restart."""
        data = await self._store.async_load()
        ids = data.get("handled_ids") if isinstance(data, dict) else None
        if isinstance(ids, list):
            self._handled = OrderedDict.fromkeys(
                item for item in ids[-REMEMBERED_IDS:] if isinstance(item, int)
            )

    async def async_start(self, *, public_url: str | None) -> None:
        """Fetch what arrived while nobody listened, once the account's entities exist.

        Without a public address SMSPilot cannot deliver to the webhook, so the mailbox is
        also checked every INBOUND_POLL_INTERVAL.
        """
        self._set_polling(public_url is None)
        # During set-up the event entity and sensor do not exist yet; what is fetched now
        # must reach them too, so the first fetch waits until the entry is loaded.
        self._stop_watching_state = self.entry.async_on_state_change(self._entry_state_changed)

    async def async_set_public_url(self, public_url: str | None) -> None:
        """Follow a change of the public address: poll without one, stop polling with one."""
        self._set_polling(public_url is None)

    async def async_unload(self) -> None:
        """Stop polling, announce what is still queued, and save the memory now."""
        self._set_polling(False)
        if self._stop_watching_state is not None:
            self._stop_watching_state()
            self._stop_watching_state = None
        while self._queue:
            sms, received_at = self._queue.popleft()
            await self.async_handle_sms(sms, received_at=received_at)
        if self._dirty:
            await self._store.async_save(self._data_to_save())

    async def async_handle_sms(
        self, sms: InboundSms, *, received_at: datetime | None = None
    ) -> bool:
        """Announce one SMS (bus event, entities) unless it was announced before."""
        if sms.id in self._handled:
            self.duplicates += 1
            LOGGER.debug("Inbound SMS %s was already handled; ignoring the repeat", sms.id)
            return False
        self._remember(sms.id)
        received = ReceivedSms(
            id=sms.id,
            phone=sms.phone,
            message=sms.message,
            num=sms.num,
            received_at=received_at or dt_util.utcnow(),
        )
        self.received += 1
        self.last = received
        LOGGER.debug("Inbound SMS %s received", sms.id)
        self.hass.bus.async_fire(
            EVENT_SMS_RECEIVED, {"config_entry_id": self.entry.entry_id, **received.as_attributes()}
        )
        async_dispatcher_send(self.hass, SIGNAL_SMS_RECEIVED.format(self.entry.entry_id), received)
        return True

    @callback
    def async_receive(self, sms: InboundSms) -> None:
        """Queue an SMS from the webhook; it is announced in the background, in order."""
        self._enqueue(sms, dt_util.utcnow())

    async def async_fetch_new(self) -> int:
        """Fetch unseen SMS from SMSPilot and queue them; return how many came."""
        async with self._fetch_lock:
            started = dt_util.utcnow()
            try:
                if self._recover_since is not None:
                    messages = await self.client.get_inbound(since=self._recover_since)
                else:
                    messages = await self.client.get_inbound(new_only=True)
            except SmsPilotError as err:
                if self._recover_since is None:
                    self._recover_since = (
                        self._last_good_fetch or started - INBOUND_POLL_INTERVAL
                    ) - INBOUND_RECOVERY_MARGIN
                if not self._fetch_failed:
                    LOGGER.warning("Could not fetch inbound SMS from SMSPilot: %s", err)
                    self._fetch_failed = True
                else:
                    LOGGER.debug("Could not fetch inbound SMS from SMSPilot: %s", err)
                return 0
            self._last_good_fetch = started
            self._recover_since = None
            if self._fetch_failed:
                LOGGER.info("Fetching inbound SMS from SMSPilot works again")
                self._fetch_failed = False
            # Mail older than the account in Home Assistant is history, not news: it must not
            # run automations (an old "open" must not open the gate), so it is only remembered.
            history_before = self.entry.created_at - MAILBOX_HISTORY_MARGIN
            for message in sorted(messages, key=lambda item: item.id):
                if message.created is not None and message.created < history_before:
                    LOGGER.debug("Inbound SMS %s predates the account; not announced", message.id)
                    self._remember(message.id)
                    continue
                self._enqueue(self._from_mailbox(message), message.created or dt_util.utcnow())
            return len(messages)

    def _from_mailbox(self, message: InboundMessage) -> InboundSms:
        """Turn a mailbox entry into the shape the webhook delivers."""
        return InboundSms(
            id=message.id,
            phone=message.phone,
            message=message.text,
            user_id=account_id(self.entry),
            num=message.num,
        )

    def _enqueue(self, sms: InboundSms, received_at: datetime) -> None:
        """Add an SMS to the queue and make sure a worker is draining it."""
        self._queue.append((sms, received_at))
        if self._worker is None or self._worker.done():
            # Not started eagerly: the webhook answers first, listeners run after.
            self._worker = self.entry.async_create_background_task(
                self.hass, self._async_drain(), "smspilot inbound SMS", eager_start=False
            )

    async def _async_drain(self) -> None:
        """Announce queued SMS one by one until the queue is empty."""
        while self._queue:
            sms, received_at = self._queue.popleft()
            await self.async_handle_sms(sms, received_at=received_at)
            # Let webhook requests in between, so a long burst never delays their answers.
            await asyncio.sleep(0)

    def _remember(self, sms_id: int) -> None:
        """Remember an announced id, forgetting the oldest beyond the limit."""
        self._handled[sms_id] = None
        while len(self._handled) > REMEMBERED_IDS:
            self._handled.popitem(last=False)
        self._dirty = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        """Return what the store keeps: the most recent announced ids, oldest first."""
        self._dirty = False
        return {"handled_ids": list(self._handled)}

    @callback
    def _entry_state_changed(self) -> None:
        """Fetch what arrived while nobody listened, once the entry and its entities are loaded."""
        if self.entry.state is ConfigEntryState.LOADED:
            self.entry.async_create_background_task(
                self.hass, self.async_fetch_new(), "smspilot inbound SMS catch-up"
            )

    def _set_polling(self, enabled: bool) -> None:
        """Switch the mailbox timer on or off."""
        if enabled and self._stop_polling is None:
            self._stop_polling = async_track_time_interval(
                self.hass,
                self._poll,
                INBOUND_POLL_INTERVAL,
                name="smspilot inbound SMS poll",
                cancel_on_shutdown=True,
            )
        elif not enabled and self._stop_polling is not None:
            self._stop_polling()
            self._stop_polling = None

    @callback
    def _poll(self, _now: datetime) -> None:
        """Fetch the mailbox on the timer."""
        self.entry.async_create_background_task(
            self.hass, self.async_fetch_new(), "smspilot inbound SMS poll"
        )


def _state_text(message: str) -> str:
    """Return the message cut to fit a state, marked with an ellipsis when cut."""
    if len(message) <= STATE_MAX_LENGTH:
        return message
    return message[: STATE_MAX_LENGTH - len(ELLIPSIS)] + ELLIPSIS


class LastInboundMessageSensor(RestoreSensor):
    """The text of the last inbound SMS; sender, time and the full text as attributes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "last_inbound_message"

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the sensor to the account's device."""
        self._entry = entry
        self._attr_unique_id = f"{account_id(entry)}_last_inbound_message"
        self._attr_device_info = account_device_info(entry)
        self._attr_extra_state_attributes = {}

    @override
    async def async_added_to_hass(self) -> None:
        """Show the last SMS: one received in this run, else the one before the restart."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_SMS_RECEIVED.format(self._entry.entry_id), self._show
            )
        )
        if (last := self._entry.runtime_data.inbound.last) is not None:
            self._show(last)
            return
        state = await self.async_get_last_state()
        if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return
        self._attr_native_value = state.state
        self._attr_extra_state_attributes = _restored_attributes(state.attributes)

    @callback
    def _show(self, sms: ReceivedSms) -> None:
        """Show a newly received SMS."""
        self._attr_native_value = _state_text(sms.message)
        self._attr_extra_state_attributes = sms.as_attributes()
        self.async_write_ha_state()


def _restored_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the SMS attributes of a restored state."""
    keys = (ATTR_ID, ATTR_PHONE, ATTR_MESSAGE, ATTR_NUM, ATTR_RECEIVED_AT)
    return {key: attributes[key] for key in keys if key in attributes}
