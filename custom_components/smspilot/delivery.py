"""Delivery tracking: follow sent messages to their final status and announce each change once.

SMSPilot reports changes to `callback_url` when Home Assistant has an address it can reach.
Polling is the fallback and the safety net: every STATUS_POLL_INTERVAL, while anything is
pending, one status request asks for the pending ids (with a callback address, only those
older than the interval). Nothing pending means no requests at all.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    ApiErrorDetail,
    MessageState,
    SendResult,
    SmsPilotAuthenticationError,
    SmsPilotClient,
    SmsPilotError,
    SmsPilotInvalidInputError,
    StatusCallback,
)
from .const import (
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    LOGGER,
    SIGNAL_MESSAGE_STATUS,
    STATUS_POLL_INTERVAL,
    NumberCheck,
    TrackedKind,
)
from .delivery_store import STORAGE_VERSION, EarlyStatuses, PendingMessage, PendingStore
from .statuses import HLRVIP_DETAILS, HLRVIP_FIELDS, is_final, is_older, status_name

# Enough for any real household; a runaway automation must not grow memory without end.
MAX_PENDING: Final = 10_000
# One status request per interval; very long lists go out in a few requests of this size.
STATUS_CHECK_CHUNK: Final = 1000
# Finished messages remembered so a late callback repeating a final status fires nothing.
FINISHED_MEMORY: Final = 1000

type TaskStarter = Callable[[Coroutine[Any, Any, None], str], Any]


class DeliveryTracker:
    """Follow one account's messages and number checks to their final status."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: SmsPilotClient,
        *,
        report_error: Callable[[SmsPilotError], None],
        start_task: TaskStarter,
    ) -> None:
        """Prepare an empty tracker; async_load restores what was pending."""
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._report_error = report_error
        self._start_task = start_task
        self.callback_url: str | None = None
        self._store = PendingStore(hass, entry_id)
        # Insertion order is sending order, so the first entry is the oldest.
        self._pending: dict[int, PendingMessage] = {}
        self._finished: dict[int, int] = {}
        self._early = EarlyStatuses()
        self._cancel_poll: CALLBACK_TYPE | None = None
        self._unloaded = False
        self._poll_failing = False
        self._overflow_warned = False

    @property
    def pending_count(self) -> int:
        """Return how many messages still wait for their final status."""
        return len(self._pending)

    async def async_load(self) -> None:
        """Restore the messages that were pending at shutdown and resume polling for them."""
        for message in await self._store.async_load():
            self._pending[message.server_id] = message
        self._enforce_limit()
        LOGGER.debug("Restored %d pending messages", len(self._pending))
        self._schedule_poll()

    async def async_unload(self) -> None:
        """Stop polling and write the pending messages to storage now."""
        self._unloaded = True
        if self._cancel_poll is not None:
            self._cancel_poll()
            self._cancel_poll = None
        await self._store.async_save(self._pending.values())

    @callback
    def track(self, kind: TrackedKind, result: SendResult) -> None:
        """Announce the status each message got when it was sent and follow the unfinished."""
        if len(self._pending) < MAX_PENDING:
            # Below the limit again: a new overflow deserves a new warning.
            self._overflow_warned = False
        now = dt_util.utcnow()
        for sent in result.messages:
            message = PendingMessage(
                server_id=sent.server_id,
                packet_id=result.packet_id,
                phone=sent.phone,
                kind=str(kind),
                status=int(sent.status),
                sent_at=now,
            )
            self._finished.pop(sent.server_id, None)
            self._follow(message, sent.error, sent.attributes)
            if (early := self._early.take(sent.server_id)) is not None:
                LOGGER.debug("Applying a status that arrived before message %s", sent.server_id)
                self._apply_callback(early)
        self._changed()

    async def async_handle_callback(self, status: StatusCallback) -> bool:
        """Apply a status SMSPilot pushed to the webhook; False when the message is unknown.

        An unknown id may belong to a send whose answer is still on its way, so the status is
        kept for EARLY_CALLBACK_TTL seconds and applied when that answer comes.
        """
        if status.server_id in self._finished:
            # Already final (a poll may have been first): known, but nothing new to say.
            return True
        if status.server_id not in self._pending:
            LOGGER.debug("Keeping a status for message %s until its send answers", status.server_id)
            self._early.keep(status)
            return False
        self._apply_callback(status)
        self._changed()
        return True

    @callback
    def apply_states(self, states: Iterable[MessageState]) -> None:
        """Apply statuses read by a status request to the messages this tracker follows."""
        for state in states:
            if (message := self._pending.get(state.server_id)) is not None:
                self._update(message, int(state.status), state.error, state.attributes)
        self._changed()

    @callback
    def follow_states(self, kind: TrackedKind, states: Iterable[MessageState]) -> None:
        """Apply statuses of `kind` read by the caller, following ids not tracked yet."""
        for state in states:
            if (message := self._pending.get(state.server_id)) is not None:
                self._update(message, int(state.status), state.error, state.attributes)
            elif self._finished.get(state.server_id) != int(state.status):
                self._follow(
                    PendingMessage(
                        server_id=state.server_id,
                        packet_id=None,
                        phone=state.phone,
                        kind=str(kind),
                        status=int(state.status),
                        sent_at=dt_util.utcnow(),
                    ),
                    state.error,
                    state.attributes,
                )
        self._changed()

    # Polling

    @callback
    def _schedule_poll(self) -> None:
        """Keep exactly one poll timer while anything is pending, and none otherwise."""
        if self._unloaded:
            return
        if not self._pending:
            if self._cancel_poll is not None:
                self._cancel_poll()
                self._cancel_poll = None
            return
        if self._cancel_poll is None:
            self._cancel_poll = async_call_later(self._hass, STATUS_POLL_INTERVAL, self._start_poll)

    @callback
    def _start_poll(self, _now: datetime) -> None:
        """Run the poll as a task of the entry, so unloading the entry cancels it."""
        self._cancel_poll = None
        if self._hass.is_stopping:
            # The HTTP session closes during shutdown; the pending list is saved and resumes.
            return
        self._start_task(self._async_poll(), f"{DOMAIN} status poll {self._entry_id}")

    def _due_ids(self) -> list[int]:
        """Return the ids to ask about: all pending, or with callbacks only the overdue ones."""
        if self.callback_url is None:
            return list(self._pending)
        cutoff = dt_util.utcnow() - STATUS_POLL_INTERVAL
        return [sid for sid, message in self._pending.items() if message.sent_at <= cutoff]

    async def _async_poll(self) -> None:
        """Ask SMSPilot once for the statuses of the pending messages, then plan the next poll."""
        try:
            self._pending = self._store.unexpired(self._pending)
            due = self._due_ids()
            for start in range(0, len(due), STATUS_CHECK_CHUNK):
                await self._async_check(due[start : start + STATUS_CHECK_CHUNK])
        except SmsPilotError as err:
            self._report_error(err)
            if self._poll_failing:
                pass
            elif isinstance(err, SmsPilotAuthenticationError):
                LOGGER.warning("SMSPilot refused the API key while checking message statuses")
            else:
                LOGGER.warning(
                    "Could not check message statuses with SMSPilot, will retry in %s: %s",
                    STATUS_POLL_INTERVAL,
                    err,
                )
            self._poll_failing = True
        else:
            if self._poll_failing:
                LOGGER.info("Checking message statuses with SMSPilot works again")
            self._poll_failing = False
        finally:
            self._changed()

    async def _async_check(self, server_ids: Sequence[int]) -> None:
        """Check one chunk of ids and apply the answer."""
        hlrvip = any(
            (message := self._pending.get(sid)) is not None and message.kind == NumberCheck.HLRVIP
            for sid in server_ids
        )
        try:
            states = await self._client.get_status(
                server_ids, fields=HLRVIP_FIELDS if hlrvip else None
            )
        except SmsPilotInvalidInputError:
            # A status request by ids is refused (code 303) only when SMSPilot knows none of
            # them, for example test-mode messages it never stores: they will never be answered.
            LOGGER.debug("SMSPilot knows none of %d pending messages", len(server_ids))
            states = ()
        self.apply_states(states)
        answered = {state.server_id for state in states}
        for sid in server_ids:
            if sid not in answered and self._pending.pop(sid, None) is not None:
                LOGGER.debug("SMSPilot does not know message %s; no longer tracking it", sid)

    # State changes

    def _follow(
        self, message: PendingMessage, error: ApiErrorDetail | None, attributes: Mapping[str, str]
    ) -> None:
        """Announce a newly seen message's status and follow it unless it is final."""
        self._pending.pop(message.server_id, None)
        self._announce(message, error, attributes)
        if is_final(message.status):
            self._remember_finished(message)
        else:
            self._pending[message.server_id] = message

    def _apply_callback(self, status: StatusCallback) -> None:
        if (message := self._pending.get(status.server_id)) is not None:
            self._update(message, int(status.status), status.error, status.attributes)

    def _update(
        self,
        message: PendingMessage,
        status: int,
        error: ApiErrorDetail | None,
        attributes: Mapping[str, str],
    ) -> None:
        """Record a reported status of a pending message and announce it if it is news."""
        if status == message.status:
            return
        if is_older(status, message.status):
            # A poll answer read before a callback may arrive after it.
            LOGGER.debug("Ignoring old status %s of message %s", status, message.server_id)
            return
        message.status = status
        self._announce(message, error, attributes)
        if is_final(status):
            del self._pending[message.server_id]
            self._remember_finished(message)

    def _announce(
        self, message: PendingMessage, error: ApiErrorDetail | None, attributes: Mapping[str, str]
    ) -> None:
        """Fire the status event and tell the last-status sensor."""
        data: dict[str, Any] = {
            "config_entry_id": self._entry_id,
            "server_id": message.server_id,
            "packet_id": message.packet_id,
            "phone": message.phone,
            "kind": message.kind,
            "status": message.status,
            "status_name": status_name(message.kind, message.status),
            "final": is_final(message.status),
            "error_code": error.code if error is not None else None,
            "error_text": (error.description or error.description_ru) if error else None,
            "attributes": {
                name: attributes[name] for name in HLRVIP_DETAILS if attributes.get(name)
            },
        }
        LOGGER.debug(
            "Message %s (%s) is now %s", message.server_id, message.kind, data["status_name"]
        )
        self._hass.bus.async_fire(EVENT_MESSAGE_STATUS, data)
        async_dispatcher_send(self._hass, SIGNAL_MESSAGE_STATUS.format(self._entry_id), data)

    def _remember_finished(self, message: PendingMessage) -> None:
        """Remember a final status briefly, so repeats of it are recognised and not announced."""
        self._finished[message.server_id] = message.status
        while len(self._finished) > FINISHED_MEMORY:
            del self._finished[next(iter(self._finished))]

    def _enforce_limit(self) -> None:
        """Keep at most MAX_PENDING messages, dropping the oldest with one warning."""
        excess = len(self._pending) - MAX_PENDING
        if excess <= 0:
            return
        for sid in list(self._pending)[:excess]:
            del self._pending[sid]
        if not self._overflow_warned:
            LOGGER.warning(
                "More than %d messages wait for a delivery status; the oldest are no longer tracked",
                MAX_PENDING,
            )
            self._overflow_warned = True

    @callback
    def _changed(self) -> None:
        """Bound the list, schedule its write and keep the poll timer in step."""
        self._enforce_limit()
        # After unload the next set-up owns the file; a late write must not overwrite it.
        if not self._unloaded:
            self._store.async_delay_save(lambda: self._pending.values())
        self._schedule_poll()


async def async_remove_pending(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the pending-message store of a removed account."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, PendingStore.key(entry_id)).async_remove()
