"""Delivery status of sent messages: callbacks, a batched safety-net poll, events and a sensor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.sensor import RestoreSensor, SensorDeviceClass
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    ApiErrorDetail,
    MessageState,
    MessageStatus,
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
)
from .entity import account_device_info, account_id

if TYPE_CHECKING:
    from .coordinator import SmsPilotConfigEntry
    from .messaging import MessageKind

STORAGE_VERSION: Final = 1
# Status changes come in bursts (a packet to many phones); one write covers a burst.
SAVE_DELAY: Final = 10.0
# Enough for any real household; a runaway automation must not grow memory without end.
MAX_PENDING: Final = 10_000
# SMSPilot's `check=recent` covers 24 hours and a message lives at most 24 hours (ttl 1440),
# so three days leaves room for delayed sending and a Home Assistant that was off for a while.
MAX_PENDING_AGE: Final = timedelta(days=3)
# One status request per interval; a longer id list would make a huge form and a slow answer,
# so very long lists go out as a few requests of this many ids each.
STATUS_CHECK_CHUNK: Final = 1000
# Finished messages remembered so a late callback repeating a final status fires nothing.
FINISHED_MEMORY: Final = 1000

# The extra fields HLRVIP answers carry, as spelled in SMSPilot API-1 section 3.3. The
# document lists "mnc" twice; the first one describes the serving switch, so an "msc" field
# is passed on when SMSPilot sends one, but only the spelled-out names are asked for.
HLRVIP_FIELDS: Final = ("imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet")
HLRVIP_DETAILS: Final = ("imsi", "msc", "mcc", "mnc", "cn", "net", "gcn", "gnet")
KIND_HLRVIP: Final = "hlrvip"

_SMS_STATUS_NAMES: Final[Mapping[int, str]] = {
    MessageStatus.ERROR: "error",
    MessageStatus.NOT_DELIVERED: "not_delivered",
    MessageStatus.ACCEPTED: "accepted",
    MessageStatus.SENT_TO_OPERATOR: "sent_to_operator",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.SCHEDULED: "scheduled",
}
# The document's status table names the final statuses of number checks differently.
_HLR_STATUS_NAMES: Final[Mapping[int, str]] = {
    **_SMS_STATUS_NAMES,
    MessageStatus.NOT_DELIVERED: "not_served",
    MessageStatus.DELIVERED: "served",
}
_PING_STATUS_NAMES: Final[Mapping[int, str]] = {
    **_SMS_STATUS_NAMES,
    MessageStatus.NOT_DELIVERED: "offline",
    MessageStatus.DELIVERED: "online",
}
_STATUS_NAMES_BY_KIND: Final[Mapping[str, Mapping[int, str]]] = {
    "hlr": _HLR_STATUS_NAMES,
    # HLRVIP is an HLR lookup that falls back to PING; it answers whether the number is served.
    KIND_HLRVIP: _HLR_STATUS_NAMES,
    "ping": _PING_STATUS_NAMES,
}
STATUS_NAMES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        [*_SMS_STATUS_NAMES.values(), *_HLR_STATUS_NAMES.values(), *_PING_STATUS_NAMES.values()]
    )
)
UNKNOWN_STATUS_NAME: Final = "unknown"

FINAL_STATUSES: Final = frozenset(status for status in MessageStatus if status.is_final)
# A status only moves forward: scheduled -> accepted -> passed to operator -> final.
# A poll answer read before a callback may arrive after it; an older status is ignored.
_STATUS_STAGE: Final[Mapping[int, int]] = {
    MessageStatus.SCHEDULED: 0,
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SENT_TO_OPERATOR: 2,
    **dict.fromkeys(FINAL_STATUSES, 3),
}
_UNKNOWN_STATUS_STAGE: Final = 2

ATTR_SERVER_ID: Final = "server_id"
ATTR_PACKET_ID: Final = "packet_id"
ATTR_PHONE: Final = "phone"
ATTR_KIND: Final = "kind"
ATTR_ERROR: Final = "error"
_SENSOR_ATTRIBUTES: Final = (ATTR_SERVER_ID, ATTR_PHONE, ATTR_KIND, ATTR_PACKET_ID, ATTR_ERROR)


def status_name(kind: str, status: int) -> str:
    """Return the stable English name of a status code for a kind of message."""
    names = _STATUS_NAMES_BY_KIND.get(kind, _SMS_STATUS_NAMES)
    return names.get(int(status), UNKNOWN_STATUS_NAME)


def is_final(status: int) -> bool:
    """Return True for a status that will not change any more."""
    return int(status) in FINAL_STATUSES


@dataclass(slots=True, kw_only=True)
class _TrackedMessage:
    """A sent message whose final status is still to come."""

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
    def from_dict(cls, data: Mapping[str, Any]) -> _TrackedMessage | None:
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


class DeliveryTracker:
    """Follow sent messages to their final status and announce every change once.

    SMSPilot reports changes to `callback_url` when Home Assistant has an address it can
    reach. Polling is the fallback and the safety net: every STATUS_POLL_INTERVAL, while
    anything is pending, one status request asks for all pending ids (with a callback
    address, only those older than the interval). Nothing pending means no requests at all.
    """

    def __init__(
        self, hass: HomeAssistant, entry: SmsPilotConfigEntry, client: SmsPilotClient
    ) -> None:
        """Prepare an empty tracker for one account; async_load restores what was pending."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.callback_url: str | None = None
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.pending"
        )
        # Insertion order is sending order, so the first entry is the oldest.
        self._pending: dict[int, _TrackedMessage] = {}
        self._finished: dict[int, int] = {}
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
        stored = await self._store.async_load()
        records = stored.get("messages", []) if isinstance(stored, dict) else []
        for record in records if isinstance(records, list) else []:
            message = _TrackedMessage.from_dict(record) if isinstance(record, dict) else None
            if message is None:
                LOGGER.debug("Skipping a damaged pending-message record")
                continue
            self._pending[message.server_id] = message
        self._drop_expired()
        self._enforce_limit()
        LOGGER.debug("Restored %d pending messages", len(self._pending))
        self._schedule_poll()

    async def async_unload(self) -> None:
        """Stop polling and write the pending messages to storage now."""
        self._unloaded = True
        if self._cancel_poll is not None:
            self._cancel_poll()
            self._cancel_poll = None
        await self._store.async_save(self._data_to_save())

    @callback
    def track(self, kind: MessageKind | str, result: SendResult) -> None:
        """Announce the status each message got when it was sent and follow the unfinished."""
        kind_name = str(kind)
        now = dt_util.utcnow()
        if len(self._pending) < MAX_PENDING:
            # Below the limit again: a new overflow deserves a new warning.
            self._overflow_warned = False
        for sent in result.messages:
            message = _TrackedMessage(
                server_id=sent.server_id,
                packet_id=result.packet_id,
                phone=sent.phone,
                kind=kind_name,
                status=int(sent.status),
                sent_at=now,
            )
            self._pending.pop(sent.server_id, None)
            self._finished.pop(sent.server_id, None)
            self._announce(message, sent.error, sent.attributes)
            if is_final(message.status):
                self._remember_finished(message)
            else:
                self._pending[message.server_id] = message
        self._enforce_limit()
        self._save()
        self._schedule_poll()

    async def async_handle_callback(self, status_callback: StatusCallback) -> bool:
        """Apply a status SMSPilot pushed to the webhook; False when the message is unknown."""
        server_id = status_callback.server_id
        if server_id in self._finished:
            # Already final (a poll may have been first): known, but nothing new to say.
            return True
        message = self._pending.get(server_id)
        if message is None:
            LOGGER.debug("Ignoring a status callback for an unknown message %s", server_id)
            return False
        self._update(
            message, int(status_callback.status), status_callback.error, status_callback.attributes
        )
        self._save()
        self._schedule_poll()
        return True

    @callback
    def apply_states(
        self, kind_hint: MessageKind | str | None, states: Iterable[MessageState]
    ) -> None:
        """Apply statuses read by a status request (the poll or the check_status action).

        Messages this tracker follows keep their own kind. Others are announced with
        `kind_hint` as their kind and, while unfinished, followed from now on; without a
        hint they are skipped.
        """
        for state in states:
            message = self._pending.get(state.server_id)
            if message is not None:
                self._update(message, int(state.status), state.error, state.attributes)
                continue
            if kind_hint is None or self._finished.get(state.server_id) == int(state.status):
                continue
            message = _TrackedMessage(
                server_id=state.server_id,
                packet_id=None,
                phone=state.phone,
                kind=str(kind_hint),
                status=int(state.status),
                sent_at=dt_util.utcnow(),
            )
            self._announce(message, state.error, state.attributes)
            if is_final(message.status):
                self._remember_finished(message)
            else:
                self._pending[message.server_id] = message
        self._enforce_limit()
        self._save()
        self._schedule_poll()

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
            self._cancel_poll = async_call_later(self.hass, STATUS_POLL_INTERVAL, self._start_poll)

    @callback
    def _start_poll(self, _now: datetime) -> None:
        """Run the poll as a task of the entry, so unloading the entry cancels it."""
        self._cancel_poll = None
        if self.hass.is_stopping:
            # The HTTP session closes during shutdown; the pending list is saved and resumes.
            return
        self.entry.async_create_background_task(
            self.hass, self._async_poll(), f"{DOMAIN} status poll {self.entry.entry_id}"
        )

    def _due_ids(self) -> list[int]:
        """Return the ids to ask about: all pending, or with callbacks only the overdue ones."""
        if self.callback_url is None:
            return list(self._pending)
        cutoff = dt_util.utcnow() - STATUS_POLL_INTERVAL
        return [
            server_id for server_id, message in self._pending.items() if message.sent_at <= cutoff
        ]

    async def _async_poll(self) -> None:
        """Ask SMSPilot once for the statuses of the pending messages, then plan the next poll."""
        try:
            self._drop_expired()
            due = self._due_ids()
            for start in range(0, len(due), STATUS_CHECK_CHUNK):
                await self._async_check(due[start : start + STATUS_CHECK_CHUNK])
        except SmsPilotAuthenticationError:
            if not self._poll_failing:
                LOGGER.warning("SMSPilot refused the API key while checking message statuses")
            self._poll_failing = True
            # Does nothing while a reauthentication flow for the entry is already open.
            self.entry.async_start_reauth(self.hass)
        except SmsPilotError as err:
            if not self._poll_failing:
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
            self._save()
            self._schedule_poll()

    async def _async_check(self, server_ids: Sequence[int]) -> None:
        """Check one chunk of ids and apply the answer."""
        hlrvip = any(
            (message := self._pending.get(server_id)) is not None and message.kind == KIND_HLRVIP
            for server_id in server_ids
        )
        try:
            states = await self.client.get_status(
                server_ids, fields=HLRVIP_FIELDS if hlrvip else None
            )
        except SmsPilotInvalidInputError:
            # A status request by ids is refused (code 303) only when SMSPilot knows none of
            # them, for example test-mode messages it never stores: they will never be answered.
            LOGGER.debug(
                "SMSPilot knows none of %d pending messages; forgetting them", len(server_ids)
            )
            states = ()
        self.apply_states(None, states)
        answered = {state.server_id for state in states}
        for server_id in server_ids:
            if server_id not in answered and self._pending.pop(server_id, None) is not None:
                LOGGER.debug("SMSPilot does not know message %s; no longer tracking it", server_id)

    # State changes

    def _update(
        self,
        message: _TrackedMessage,
        status: int,
        error: ApiErrorDetail | None,
        attributes: Mapping[str, str],
    ) -> None:
        """Record a reported status of a pending message and announce it if it is news."""
        if status == message.status:
            return
        stage = _STATUS_STAGE.get(status, _UNKNOWN_STATUS_STAGE)
        if stage < _STATUS_STAGE.get(message.status, _UNKNOWN_STATUS_STAGE):
            LOGGER.debug(
                "Ignoring status %s of message %s: it already reached %s",
                status,
                message.server_id,
                message.status,
            )
            return
        message.status = status
        self._announce(message, error, attributes)
        if is_final(status):
            del self._pending[message.server_id]
            self._remember_finished(message)

    def _announce(
        self,
        message: _TrackedMessage,
        error: ApiErrorDetail | None,
        attributes: Mapping[str, str],
    ) -> None:
        """Fire the status event and tell the last-status sensor."""
        data: dict[str, Any] = {
            "config_entry_id": self.entry.entry_id,
            ATTR_SERVER_ID: message.server_id,
            ATTR_PACKET_ID: message.packet_id,
            ATTR_PHONE: message.phone,
            ATTR_KIND: message.kind,
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
        self.hass.bus.async_fire(EVENT_MESSAGE_STATUS, data)
        async_dispatcher_send(self.hass, SIGNAL_MESSAGE_STATUS.format(self.entry.entry_id), data)

    def _remember_finished(self, message: _TrackedMessage) -> None:
        """Remember a final status briefly, so repeats of it are recognised and not announced."""
        self._finished[message.server_id] = message.status
        while len(self._finished) > FINISHED_MEMORY:
            del self._finished[next(iter(self._finished))]

    # Bounds and storage

    def _drop_expired(self) -> None:
        """Stop following messages sent longer ago than MAX_PENDING_AGE."""
        cutoff = dt_util.utcnow() - MAX_PENDING_AGE
        expired = [
            server_id for server_id, message in self._pending.items() if message.sent_at < cutoff
        ]
        for server_id in expired:
            del self._pending[server_id]
        if expired:
            LOGGER.debug("Stopped tracking %d messages with no final status", len(expired))

    def _enforce_limit(self) -> None:
        """Keep at most MAX_PENDING messages, dropping the oldest with one warning."""
        excess = len(self._pending) - MAX_PENDING
        if excess <= 0:
            return
        for server_id in list(self._pending)[:excess]:
            del self._pending[server_id]
        if not self._overflow_warned:
            LOGGER.warning(
                "More than %d messages wait for a delivery status; the oldest are no longer tracked",
                MAX_PENDING,
            )
            self._overflow_warned = True

    @callback
    def _save(self) -> None:
        """Schedule writing the pending messages to storage."""
        # After unload the next set-up owns the file; a late write must not overwrite it.
        if not self._unloaded:
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        """Return what storage keeps: the pending messages, oldest first."""
        return {"messages": [message.as_dict() for message in self._pending.values()]}


class LastMessageStatusSensor(RestoreSensor):
    """The latest status of any message of the account (an enum, restored after restart)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "last_message_status"
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, entry: SmsPilotConfigEntry) -> None:
        """Attach the sensor to the account's device."""
        self._entry_id = entry.entry_id
        self._attr_unique_id = f"{account_id(entry)}_last_message_status"
        self._attr_device_info = account_device_info(entry)
        self._attr_options = list(STATUS_NAMES)
        self._attr_extra_state_attributes = dict.fromkeys(_SENSOR_ATTRIBUTES)

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last status and listen for new ones."""
        await super().async_added_to_hass()
        last_data = await self.async_get_last_sensor_data()
        if last_data is not None and last_data.native_value in STATUS_NAMES:
            self._attr_native_value = last_data.native_value
        last_state = await self.async_get_last_state()
        if last_state is not None:
            self._attr_extra_state_attributes = {
                name: last_state.attributes.get(name) for name in _SENSOR_ATTRIBUTES
            }
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_MESSAGE_STATUS.format(self._entry_id), self._handle_status
            )
        )

    @callback
    def _handle_status(self, data: Mapping[str, Any]) -> None:
        """Show a status change announced by the tracker."""
        name = data["status_name"]
        self._attr_native_value = name if name in STATUS_NAMES else None
        self._attr_extra_state_attributes = {
            ATTR_SERVER_ID: data[ATTR_SERVER_ID],
            ATTR_PHONE: data[ATTR_PHONE],
            ATTR_KIND: data[ATTR_KIND],
            ATTR_PACKET_ID: data[ATTR_PACKET_ID],
            ATTR_ERROR: data["error_text"],
        }
        self.async_write_ha_state()
