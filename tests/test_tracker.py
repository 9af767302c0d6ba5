"""Tests for delivery status tracking: polling, callbacks, events, storage and the sensor."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CoreState, Event, HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot import delivery, delivery_store, statuses
from custom_components.smspilot.api import (
    MessageState,
    MessageStatus,
    NumberCheckMethod,
    SendOptions,
    SendResult,
    StatusCallback,
    parse_status_callback,
)
from custom_components.smspilot.const import (
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    STATUS_POLL_INTERVAL,
    NumberCheck,
    SendKind,
)
from custom_components.smspilot.delivery import DeliveryTracker
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator
from tests.conftest import revoke_key

PHONE = "79087964781"
PHONE_2 = "79161231212"
BLACKLISTED = "79999999999"
UNDELIVERABLE = "79000000000"
UNREACHABLE_CALLBACK = "http://127.0.0.1:9/status"
SENSOR_UNIQUE_ID = f"{DEMO_USER_ID}_last_message_status"
STORAGE_KEY = "smspilot.{}.pending"


def _tracker(entry: MockConfigEntry) -> DeliveryTracker:
    """Return the delivery tracker of a loaded entry."""
    loaded: SmsPilotConfigEntry = entry  # type: ignore[assignment]
    return loaded.runtime_data.delivery


async def _send(entry: MockConfigEntry, phones: Iterable[str], *, test: bool = False) -> SendResult:
    """Send one SMS packet through the account's client and hand it to the tracker."""
    loaded: SmsPilotConfigEntry = entry  # type: ignore[assignment]
    tracker = loaded.runtime_data.delivery
    result = await loaded.runtime_data.client.send_sms(
        list(phones), "Door opened", options=SendOptions(test=test, callback=tracker.callback_url)
    )
    tracker.track(SendKind.SMS, result)
    return result


async def _check_numbers(entry: MockConfigEntry, phones: Iterable[str], method: str) -> SendResult:
    """Start a number check through the account's client and hand it to the tracker."""
    loaded: SmsPilotConfigEntry = entry  # type: ignore[assignment]
    result = await loaded.runtime_data.client.check_numbers(list(phones), method)
    loaded.runtime_data.delivery.track(NumberCheck(method.lower()), result)
    return result


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta = STATUS_POLL_INTERVAL
) -> None:
    """Let time pass and run whatever became due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _status_requests(emulator: Emulator) -> list[list[str]]:
    """Return the id lists of every status request the emulator answered so far."""
    return [
        request.params["check"].split(",")
        for request in emulator.requests
        if "check" in request.params
    ]


def _summary(events: list[Event[dict[str, Any]]]) -> list[tuple[str, str]]:
    """Return (phone, status name) of the captured status events."""
    return [(event.data["phone"], event.data["status_name"]) for event in events]


def _sensor_state(hass: HomeAssistant) -> State:
    """Return the state of the account's last-message-status sensor."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, SENSOR_UNIQUE_ID)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_poll_reports_delivery_with_one_request(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without a callback address, one status request after five minutes finishes the packet."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    result = await _send(init_integration, [UNDELIVERABLE, BLACKLISTED, PHONE])
    ids = [message.server_id for message in result.messages]

    # The send answer itself is announced: two accepted, the black-listed number refused.
    assert _summary(events) == [
        (UNDELIVERABLE, "accepted"),
        (BLACKLISTED, "error"),
        (PHONE, "accepted"),
    ]
    refused = events[1].data
    assert refused == {
        "config_entry_id": init_integration.entry_id,
        "server_id": ids[1],
        "packet_id": result.packet_id,
        "phone": BLACKLISTED,
        "kind": "sms",
        "status": -2,
        "status_name": "error",
        "final": True,
        "error_code": 212,
        "error_text": refused["error_text"],
        "attributes": {},
    }
    assert refused["error_text"]
    assert _sensor_state(hass).state == "accepted"
    assert _tracker(init_integration).pending_count == 2
    assert _status_requests(emulator) == []

    await emulator.complete_all()
    await _tick(hass, freezer, STATUS_POLL_INTERVAL - timedelta(seconds=1))
    assert _status_requests(emulator) == []
    await _tick(hass, freezer, timedelta(seconds=1))

    # One request for both pending messages; the refused one is not asked about.
    assert _status_requests(emulator) == [[str(ids[0]), str(ids[2])]]
    assert _summary(events)[3:] == [(UNDELIVERABLE, "not_delivered"), (PHONE, "delivered")]
    not_delivered, delivered = events[3].data, events[4].data
    assert not_delivered["final"] is True
    assert not_delivered["status"] == MessageStatus.NOT_DELIVERED
    assert not_delivered["error_code"] == 604
    assert delivered["final"] is True
    assert delivered["error_code"] is None
    assert delivered["error_text"] is None

    state = _sensor_state(hass)
    assert state.state == "delivered"
    assert state.attributes["server_id"] == ids[2]
    assert state.attributes["phone"] == PHONE
    assert state.attributes["kind"] == "sms"
    assert state.attributes["packet_id"] == result.packet_id
    assert state.attributes["error"] is None
    assert state.attributes["options"] == list(statuses.STATUS_NAMES)

    # Tracking stopped: nothing more is asked and nothing more is announced.
    assert _tracker(init_integration).pending_count == 0
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert len(_status_requests(emulator)) == 1
    assert len(events) == 5


async def test_unfinished_messages_are_asked_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message still on its way is asked about again at the next interval, then dropped."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    emulator.status_delays = (3600.0, 7200.0)
    result = await _send(init_integration, [PHONE])
    server_id = str(result.messages[0].server_id)

    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert _status_requests(emulator) == [[server_id], [server_id]]
    assert _summary(events) == [(PHONE, "accepted")]

    await emulator.complete_all()
    await _tick(hass, freezer)
    assert _summary(events) == [(PHONE, "accepted"), (PHONE, "delivered")]
    await _tick(hass, freezer)
    assert len(_status_requests(emulator)) == 3


async def test_long_id_lists_are_split(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More pending messages than fit one request are asked about in a few requests."""
    monkeypatch.setattr(delivery, "STATUS_CHECK_CHUNK", 2)
    phones = [f"7916123450{digit}" for digit in range(5)]
    result = await _send(init_integration, phones)
    ids = [str(message.server_id) for message in result.messages]
    await emulator.complete_all()

    await _tick(hass, freezer)

    assert _status_requests(emulator) == [ids[0:2], ids[2:4], ids[4:5]]
    assert _sensor_state(hass).state == "delivered"


async def test_no_poll_while_home_assistant_stops(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A poll that falls due during shutdown is skipped; the messages stay pending."""
    await _send(init_integration, ["79161234500"])
    hass.set_state(CoreState.stopping)
    try:
        await _tick(hass, freezer)
    finally:
        hass.set_state(CoreState.running)
    assert _status_requests(emulator) == []
    assert _tracker(init_integration).pending_count == 1


async def test_idle_day_costs_no_status_requests(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With nothing pending, a whole day passes without a single status request."""
    for _ in range(24 * 12):
        await _tick(hass, freezer)
    assert _status_requests(emulator) == []

    # After a message is finished the tracker goes quiet again.
    await _send(init_integration, [PHONE])
    await emulator.complete_all()
    await _tick(hass, freezer)
    for _ in range(24 * 12):
        await _tick(hass, freezer)
    assert len(_status_requests(emulator)) == 1


async def test_callback_updates_without_polling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Statuses pushed by SMSPilot are announced once each; the safety net then has nothing to ask."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = _tracker(init_integration)
    tracker.callback_url = UNREACHABLE_CALLBACK
    result = await _send(init_integration, [PHONE])
    server_id = result.messages[0].server_id

    form = {"server_id": str(server_id), "phone": PHONE, "status": "1", "error": "0"}
    assert await tracker.async_handle_callback(parse_status_callback(form))
    # SMSPilot may repeat itself; an unchanged status is not news.
    assert await tracker.async_handle_callback(parse_status_callback(form))
    assert _summary(events) == [(PHONE, "accepted"), (PHONE, "sent_to_operator")]
    assert _sensor_state(hass).state == "sent_to_operator"

    delivered = {**form, "status": "2"}
    assert await tracker.async_handle_callback(parse_status_callback(delivered))
    assert await tracker.async_handle_callback(parse_status_callback(delivered))
    assert _summary(events)[2:] == [(PHONE, "delivered")]
    assert events[2].data["final"] is True
    assert _sensor_state(hass).state == "delivered"

    for _ in range(3):
        await _tick(hass, freezer)
    assert _status_requests(emulator) == []


async def test_callback_for_unknown_message_is_ignored(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A callback naming a message this account did not send fires nothing."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = _tracker(init_integration)
    unknown = StatusCallback(server_id=42, phone=PHONE, status=MessageStatus.DELIVERED, error=None)

    assert await tracker.async_handle_callback(unknown) is False
    assert events == []
    assert _sensor_state(hass).state == "unknown"


async def test_safety_net_asks_only_about_overdue_messages(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With a callback address, only messages older than the interval are polled."""
    emulator.status_delays = (3600.0, 7200.0)
    tracker = _tracker(init_integration)
    # SMSPilot cannot deliver to this address, so only the safety net learns anything.
    tracker.callback_url = UNREACHABLE_CALLBACK
    first = await _send(init_integration, [PHONE])
    await _tick(hass, freezer, timedelta(minutes=3))
    second = await _send(init_integration, [PHONE_2])
    first_id, second_id = (str(result.messages[0].server_id) for result in (first, second))
    assert {request.params.get("callback") for request in emulator.requests[-1:]} == {
        UNREACHABLE_CALLBACK
    }

    await _tick(hass, freezer, timedelta(minutes=2))
    assert _status_requests(emulator) == [[first_id]]

    await emulator.complete_all()
    await _tick(hass, freezer)
    assert _status_requests(emulator) == [[first_id], [first_id, second_id]]
    assert _sensor_state(hass).state == "delivered"


async def test_nothing_overdue_means_no_request(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With a callback address, a poll that finds only young messages sends no request."""
    emulator.status_delays = (3600.0, 7200.0)
    tracker = _tracker(init_integration)
    tracker.callback_url = UNREACHABLE_CALLBACK
    first = await _send(init_integration, [PHONE])
    await _tick(hass, freezer, timedelta(minutes=4))
    second = await _send(init_integration, [PHONE_2])
    delivered = StatusCallback(
        server_id=first.messages[0].server_id, phone=PHONE, status=2, error=None
    )
    assert await tracker.async_handle_callback(delivered)

    await _tick(hass, freezer, timedelta(minutes=1))
    assert _status_requests(emulator) == []

    await _tick(hass, freezer)
    assert _status_requests(emulator) == [[str(second.messages[0].server_id)]]


async def _send_untracked(entry: MockConfigEntry, phones: list[str]) -> SendResult:
    """Send a packet without tracking it."""
    loaded: SmsPilotConfigEntry = entry  # type: ignore[assignment]
    return await loaded.runtime_data.client.send_sms(phones, "Door opened")


async def test_stale_poll_answer_does_not_undo_a_callback(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A status older than the one already announced is ignored."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = _tracker(init_integration)
    result = await _send(init_integration, [PHONE])
    server_id = result.messages[0].server_id
    form = {"server_id": str(server_id), "phone": PHONE, "status": "1", "error": "0"}
    assert await tracker.async_handle_callback(parse_status_callback(form))

    state = _message_state(server_id, MessageStatus.ACCEPTED)
    tracker.apply_states([state])

    assert _summary(events) == [(PHONE, "accepted"), (PHONE, "sent_to_operator")]


def _message_state(server_id: int, status: int) -> MessageState:
    """Build a status answer for one message."""
    return MessageState(server_id=server_id, phone=PHONE, status=status, price=None)


async def test_unknown_status_code(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A status code the document does not list is announced as unknown and not final."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = _tracker(init_integration)
    result = await _send(init_integration, [PHONE])
    server_id = result.messages[0].server_id

    tracker.apply_states([_message_state(server_id, 7)])

    assert events[-1].data["status"] == 7
    assert events[-1].data["status_name"] == "unknown"
    assert events[-1].data["final"] is False
    assert _sensor_state(hass).state == "unknown"
    assert _sensor_state(hass).attributes["server_id"] == server_id


async def test_check_status_answers_for_other_messages(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Statuses of messages sent elsewhere are announced once each with the hinted kind."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = _tracker(init_integration)

    tracker.apply_states([_message_state(500, MessageStatus.DELIVERED)])
    assert events == []

    tracker.follow_states(SendKind.VOICE, [_message_state(500, MessageStatus.SENT_TO_OPERATOR)])
    tracker.follow_states(SendKind.VOICE, [_message_state(500, MessageStatus.SENT_TO_OPERATOR)])
    tracker.follow_states(SendKind.VOICE, [_message_state(500, MessageStatus.DELIVERED)])
    tracker.follow_states(SendKind.VOICE, [_message_state(500, MessageStatus.DELIVERED)])
    tracker.follow_states(SendKind.VOICE, [_message_state(501, MessageStatus.DELIVERED)])

    assert [(event.data["kind"], event.data["status_name"]) for event in events] == [
        ("voice", "sent_to_operator"),
        ("voice", "delivered"),
        ("voice", "delivered"),
    ]
    assert events[-1].data["packet_id"] is None
    assert events[-1].data["server_id"] == 501
    # Nothing is left unfinished, so nothing is polled.
    await _tick(hass, freezer)
    assert _status_requests(emulator) == []


async def test_unfinished_message_of_a_status_check_is_followed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A number check answered as unfinished is polled until its result is known."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    loaded: SmsPilotConfigEntry = init_integration  # type: ignore[assignment]
    result = await loaded.runtime_data.client.check_numbers([PHONE], NumberCheckMethod.PING)
    server_id = result.messages[0].server_id
    states = await loaded.runtime_data.client.get_status([server_id])
    loaded.runtime_data.delivery.follow_states(NumberCheck.PING, states)
    await emulator.complete_all()
    await _tick(hass, freezer)

    assert [(event.data["kind"], event.data["status_name"]) for event in events] == [
        ("ping", "accepted"),
        ("ping", "online"),
    ]
    assert _status_requests(emulator) == [[str(server_id)], [str(server_id)]]


async def test_finished_memory_is_bounded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the most recent final statuses are remembered for spotting repeats."""
    monkeypatch.setattr(delivery, "FINISHED_MEMORY", 1)
    tracker = _tracker(init_integration)
    first = await _send(init_integration, [BLACKLISTED, PHONE])
    second = await _send(init_integration, [BLACKLISTED, PHONE_2])
    old_refused = StatusCallback(
        server_id=first.messages[0].server_id, phone=BLACKLISTED, status=-2, error=None
    )
    new_refused = StatusCallback(
        server_id=second.messages[0].server_id, phone=BLACKLISTED, status=-2, error=None
    )

    assert await tracker.async_handle_callback(old_refused) is False
    assert await tracker.async_handle_callback(new_refused) is True


async def test_number_checks_use_their_own_status_names(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """HLR, PING and HLRVIP results are named as in the document's status table."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _check_numbers(init_integration, [PHONE, UNDELIVERABLE], NumberCheckMethod.HLR)
    await _check_numbers(init_integration, [PHONE, UNDELIVERABLE], NumberCheckMethod.PING)
    await emulator.complete_all()
    await _tick(hass, freezer)

    final = [
        (event.data["kind"], event.data["phone"], event.data["status_name"])
        for event in events
        if event.data["final"]
    ]
    assert final == [
        ("hlr", PHONE, "served"),
        ("hlr", UNDELIVERABLE, "not_served"),
        ("ping", PHONE, "online"),
        ("ping", UNDELIVERABLE, "offline"),
    ]
    # Plain number checks do not ask for the HLRVIP extras.
    assert all("fields" not in request.params for request in emulator.requests)
    assert _sensor_state(hass).state == "offline"


async def test_hlrvip_details_are_in_the_event(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An HLRVIP result carries the extra subscriber details SMSPilot returns."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _check_numbers(init_integration, [PHONE], NumberCheckMethod.HLRVIP)
    await emulator.complete_all()
    await _tick(hass, freezer)

    last = events[-1].data
    assert last["kind"] == "hlrvip"
    assert last["status_name"] == "served"
    assert set(last["attributes"]) == {"imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet"}
    assert last["attributes"]["imsi"].isdigit()
    assert _sensor_state(hass).state == "served"


async def test_pending_messages_survive_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Messages pending at unload are saved, restored on set-up and finished by polling."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    emulator.status_delays = (3600.0, 7200.0)
    result = await _send(init_integration, [PHONE, PHONE_2])
    ids = [str(message.server_id) for message in result.messages]

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[STORAGE_KEY.format(init_integration.entry_id)]["data"]["messages"]
    assert [str(record["server_id"]) for record in stored] == ids
    # Unloaded: its timer is gone, so no poll happens while it is down.
    await _tick(hass, freezer)
    assert _status_requests(emulator) == []

    await emulator.complete_all()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await _tick(hass, freezer)

    assert _status_requests(emulator) == [ids]
    assert _summary(events)[2:] == [(PHONE, "delivered"), (PHONE_2, "delivered")]
    assert events[-1].data["packet_id"] == result.packet_id
    await _tick(hass, freezer, timedelta(seconds=delivery_store.SAVE_DELAY))
    stored = hass_storage[STORAGE_KEY.format(init_integration.entry_id)]["data"]["messages"]
    assert stored == []


async def test_restore_skips_damaged_and_old_records(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Only sound records younger than the age limit are restored."""
    result = await _send_untracked(init_integration, [PHONE])
    server_id = result.messages[0].server_id
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    now = dt_util.utcnow()
    fresh = {
        "server_id": server_id,
        "packet_id": result.packet_id,
        "phone": PHONE,
        "kind": "sms",
        "status": 0,
        "sent_at": now.isoformat(),
    }
    too_old = now - delivery_store.MAX_PENDING_AGE - timedelta(minutes=1)
    records = [
        {**fresh, "server_id": 2, "sent_at": too_old.isoformat()},
        {**fresh, "server_id": 3, "sent_at": now.replace(tzinfo=None).isoformat()},
        {**fresh, "server_id": 4, "sent_at": "yesterday"},
        {**fresh, "server_id": "x"},
        {key: value for key, value in fresh.items() if key != "phone"},
        "not a record",
        {**fresh, "server_id": 1, "packet_id": None},
        fresh,
    ]
    key = STORAGE_KEY.format(init_integration.entry_id)
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"messages": records},
    }
    await emulator.complete_all()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await _tick(hass, freezer)

    assert _status_requests(emulator) == [["1", str(server_id)]]


async def _setup_with_storage(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    hass_storage: dict[str, Any],
    data: object = None,
) -> MockConfigEntry:
    """Set the entry up, with `data` as its stored pending list when given."""
    if data is not None:
        hass_storage[STORAGE_KEY.format(entry.entry_id)] = {
            "version": 1,
            "minor_version": 1,
            "key": STORAGE_KEY.format(entry.entry_id),
            "data": data,
        }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.mark.parametrize("data", [[], {"messages": "none"}, {"other": 1}])
async def test_restore_tolerates_a_strange_store(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    data: object,
) -> None:
    """A store of an unexpected shape restores nothing and breaks nothing."""
    await _setup_with_storage(hass, mock_config_entry, emulator, hass_storage, data)
    await _tick(hass, freezer)
    assert _status_requests(emulator) == []


async def test_pending_list_is_bounded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Beyond the limit the oldest messages are dropped, with one warning."""
    monkeypatch.setattr(delivery, "MAX_PENDING", 3)
    first = await _send(init_integration, [f"7916123450{digit}" for digit in range(2)])
    second = await _send(init_integration, [f"7916123451{digit}" for digit in range(2)])
    third = await _send(init_integration, [f"7916123452{digit}" for digit in range(2)])
    warnings = [record for record in caplog.records if "no longer tracked" in record.message]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING

    await emulator.complete_all()
    await _tick(hass, freezer)
    kept = [message.server_id for message in (*second.messages[1:], *third.messages)]
    assert _status_requests(emulator) == [[str(server_id) for server_id in kept]]
    assert first.messages[0].server_id not in kept

    # Under the limit again, a new overflow is worth a new warning.
    await _send(init_integration, [f"7916123453{digit}" for digit in range(4)])
    warnings = [record for record in caplog.records if "no longer tracked" in record.message]
    assert len(warnings) == 2


async def test_old_messages_stop_being_tracked(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While SMSPilot is unreachable, one warning is logged; after days the message is dropped."""
    await _send(init_integration, [PHONE])
    emulator.set_fault("http_500")
    for _ in range(3):
        await _tick(hass, freezer)
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "message statuses" in record.message
    ]
    assert len(warnings) == 1
    assert DEMO_API_KEY not in caplog.text
    failed_requests = len(_status_requests(emulator))
    assert failed_requests >= 3

    await _tick(hass, freezer, delivery_store.MAX_PENDING_AGE)
    emulator.clear_faults()
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert len(_status_requests(emulator)) == failed_requests


async def test_poll_recovers_after_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreadable answer is retried at the next interval; recovery is logged."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _send(init_integration, [PHONE])
    await emulator.complete_all()
    emulator.set_fault("non_json", 1)

    await _tick(hass, freezer)
    assert _summary(events) == [(PHONE, "accepted")]
    await _tick(hass, freezer)

    assert _summary(events) == [(PHONE, "accepted"), (PHONE, "delivered")]
    assert "works again" in caplog.text


async def test_unknown_ids_are_forgotten(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Ids SMSPilot does not know (test-mode messages) are asked about once and then dropped."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _send(init_integration, [PHONE], test=True)
    await _tick(hass, freezer)
    assert _status_requests(emulator) == [["1000"]]

    # Mixed with a real message, the unknown id is simply missing from the answer.
    await _send(init_integration, [PHONE], test=True)
    real = await _send(init_integration, [PHONE_2])
    await emulator.complete_all()
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert _status_requests(emulator)[1:] == [["1000", str(real.messages[0].server_id)]]
    assert [event.data["status_name"] for event in events] == [
        "accepted",
        "accepted",
        "accepted",
        "delivered",
    ]


async def test_refused_key_while_polling_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An API key refused during a status poll asks the user for a new one, once."""
    await _send(init_integration, [PHONE])
    revoke_key(emulator)

    await _tick(hass, freezer)
    await _tick(hass, freezer)

    flows = hass.config_entries.flow.async_progress()
    assert [(flow["handler"], flow["context"]["source"]) for flow in flows] == [
        (DOMAIN, SOURCE_REAUTH)
    ]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id
    # The message is still pending: the poll keeps its pace and the warning is not repeated.
    assert len(_status_requests(emulator)) == 2
    warnings = [record for record in caplog.records if "refused the API key" in record.message]
    assert len(warnings) == 1


async def test_unloaded_tracker_starts_no_timer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Nothing an unloaded tracker is told makes it poll or write its file again."""
    tracker = _tracker(init_integration)
    result = await _send(init_integration, [PHONE])
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    key = STORAGE_KEY.format(init_integration.entry_id)
    saved = hass_storage[key]["data"]
    callback = StatusCallback(
        server_id=result.messages[0].server_id, phone=PHONE, status=1, error=None
    )
    assert await tracker.async_handle_callback(callback)
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert _status_requests(emulator) == []
    assert hass_storage[key]["data"] == saved
    assert saved["messages"][0]["status"] == 0


async def test_sensor_restores_its_last_state(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """After a restart the sensor shows the status it showed before."""
    entity_id = "sensor.smspilot_last_message_status"
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, SENSOR_UNIQUE_ID, suggested_object_id="smspilot_last_message_status"
    )
    attributes = {
        "server_id": 123,
        "phone": PHONE,
        "kind": "voice",
        "packet_id": 120,
        "error": "Undeliverable",
    }
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, "not_delivered", attributes),
                {"native_value": "not_delivered", "native_unit_of_measurement": None},
            )
        ],
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = _sensor_state(hass)
    assert state.state == "not_delivered"
    for name, value in attributes.items():
        assert state.attributes[name] == value
    entity = er.async_get(hass).async_get(state.entity_id)
    assert entity is not None
    assert entity.translation_key == "last_message_status"
    device = dr.async_get(hass).async_get(entity.device_id or "")
    assert device is not None
    assert (DOMAIN, str(DEMO_USER_ID)) in device.identifiers


async def test_sensor_ignores_a_restored_value_it_does_not_know(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """A restored value outside the options is not shown."""
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, SENSOR_UNIQUE_ID, suggested_object_id="smspilot_last_message_status"
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.smspilot_last_message_status", "gone"),
                {"native_value": "gone", "native_unit_of_measurement": None},
            )
        ],
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert _sensor_state(hass).state == "unknown"


async def test_status_callbacks_over_http(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """SMSPilot's callbacks reach the tracker through the account's webhook over HTTP."""
    assert await async_setup_component(hass, "webhook", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    webhook_id = mock_config_entry.data[CONF_WEBHOOK_ID]
    _tracker(mock_config_entry).callback_url = str(client.make_url(f"/api/webhook/{webhook_id}"))
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    result = await _send(mock_config_entry, [PHONE, UNDELIVERABLE])
    await emulator.complete_all()
    await hass.async_block_till_done()

    assert emulator.courier.delivered == 2
    assert _summary(events) == [
        (PHONE, "accepted"),
        (UNDELIVERABLE, "accepted"),
        (PHONE, "delivered"),
        (UNDELIVERABLE, "not_delivered"),
    ]
    assert events[-1].data["server_id"] == result.messages[1].server_id
    assert events[-1].data["error_code"] == 604
    assert _sensor_state(hass).state == "not_delivered"
    assert _sensor_state(hass).attributes["error"] == events[-1].data["error_text"]

    # Everything is final: the safety net has nothing to ask about.
    for _ in range(3):
        await _tick(hass, freezer)
    assert _status_requests(emulator) == []


async def test_send_sms_action_is_tracked(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message sent with the send_sms action is followed to its final status."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN, "send_sms", {"to": [PHONE], "message": "Door opened"}, blocking=True
    )
    assert _summary(events) == [(PHONE, "accepted")]
    await emulator.complete_all()
    await _tick(hass, freezer)

    assert _summary(events) == [(PHONE, "accepted"), (PHONE, "delivered")]
    assert len(_status_requests(emulator)) == 1
    assert _sensor_state(hass).state == "delivered"
