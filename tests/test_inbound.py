"""Tests for inbound SMS: nothing lost, nothing doubled, across restarts and outages."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot import mailbox_store
from custom_components.smspilot.const import (
    CONF_API_URL,
    DOMAIN,
    EVENT_SMS_RECEIVED,
    INBOUND_POLL_INTERVAL,
)
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator

from .inbound_helpers import (
    entity_id,
    inbound_form,
    post_form,
    serve_http,
    setup_account,
    webhook_path,
)


def _storage_key(entry: MockConfigEntry) -> str:
    """Return where the account's inbound memory is stored."""
    return f"{DOMAIN}.{entry.entry_id}.inbound"


def _inbound_requests(emulator: Emulator) -> list[str]:
    """Return the `inbound` parameter of every inbound-list request the emulator got."""
    return [r.params["inbound"] for r in emulator.requests if "inbound" in r.params]


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one inbound poll interval pass."""
    freezer.tick(INBOUND_POLL_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_memory_survives_a_restart(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """An SMS replayed after the account restarts is not announced again."""
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    assert await post_form(client, webhook_path(entry), inbound_form(1)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[_storage_key(entry)]["data"]["handled_ids"] == [1]
    await setup_account(hass, entry)

    assert await post_form(client, webhook_path(entry), inbound_form(1)) == 200
    assert await post_form(client, webhook_path(entry), inbound_form(2)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in events] == [1, 2]


async def test_memory_is_saved_soon_without_unload(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Handled ids reach storage a few seconds after a burst, without waiting for shutdown."""
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    for sms_id in (3, 4):
        assert await post_form(client, webhook_path(entry), inbound_form(sms_id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(mailbox_store.SAVE_DELAY + 1)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[_storage_key(entry)]["data"]["handled_ids"] == [3, 4]


async def test_memory_keeps_the_most_recent_ids(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The memory is bounded: the oldest ids are forgotten first."""
    monkeypatch.setattr(mailbox_store, "REMEMBERED_IDS", 3)
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    for sms_id in (1, 2, 3, 4, 5):
        assert await post_form(client, webhook_path(entry), inbound_form(sms_id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    # 5 is remembered; 1 was forgotten, so a (very late) replay of it counts again.
    for sms_id in (5, 1):
        assert await post_form(client, webhook_path(entry), inbound_form(sms_id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in events] == [1, 2, 3, 4, 5, 1]
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[_storage_key(entry)]["data"]["handled_ids"] == [4, 5, 1]


async def test_damaged_memory_is_ignored(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """A damaged memory file neither blocks set-up nor inbound SMS; stray values are dropped."""
    mock_config_entry.add_to_hass(hass)
    hass_storage[_storage_key(mock_config_entry)] = {
        "version": 1,
        "key": _storage_key(mock_config_entry),
        "data": {"handled_ids": [7, "8", None]},
    }
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    for sms_id in (7, 8):
        assert await post_form(client, webhook_path(entry), inbound_form(sms_id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in events] == [8]


async def test_unusable_memory_file(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """A memory file of the wrong shape counts as empty."""
    mock_config_entry.add_to_hass(hass)
    hass_storage[_storage_key(mock_config_entry)] = {
        "version": 1,
        "key": _storage_key(mock_config_entry),
        "data": ["not", "a", "dict"],
    }
    entry = await setup_account(hass, mock_config_entry)
    assert entry.runtime_data.mailbox.received == 0


async def test_sms_received_while_unreachable_fires_once_after_start(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An SMS that waited in SMSPilot's mailbox is fetched at start-up and announced once."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    record = await emulator.inject_inbound(
        DEMO_API_KEY, "79087964781", "Дверь открыта", "79533984570"
    )
    assert record.webhook_delivered is None  # no webhook address at SMSPilot yet

    entry = await setup_account(hass, mock_config_entry)
    assert _inbound_requests(emulator) == ["new"]
    assert len(events) == 1
    assert events[0].data["id"] == record.id
    assert events[0].data["message"] == "Дверь открыта"
    assert events[0].data["num"] == "79533984570"
    assert events[0].data["received_at"] == record.created.replace(microsecond=0).isoformat()
    # The entities existed when it was announced.
    event_state = hass.states.get(entity_id(hass, "event", "inbound_sms"))
    assert event_state is not None
    assert event_state.attributes["id"] == record.id
    sensor_state = hass.states.get(entity_id(hass, "sensor", "last_inbound_message"))
    assert sensor_state is not None
    assert sensor_state.state == "Дверь открыта"

    # SMSPilot delivering the same SMS late to the webhook does not announce it again.
    client = await serve_http(hass, hass_client_no_auth)
    form = inbound_form(record.id, message="Дверь открыта")
    assert await post_form(client, webhook_path(entry), form) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1


async def test_polls_without_a_public_address(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without a public address the mailbox is fetched on a timer; with one it is not."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    entry = await setup_account(hass, mock_config_entry)
    assert entry.runtime_data.mailbox.polling
    await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "first")
    await _tick(hass, freezer)
    assert [event.data["message"] for event in events] == ["first"]
    assert _inbound_requests(emulator) == ["new", "new"]

    # The user adds an external URL: from now on SMSPilot calls the webhook.
    await serve_http(hass, hass_client_no_auth)
    assert not entry.runtime_data.mailbox.polling
    await _tick(hass, freezer)
    assert _inbound_requests(emulator) == ["new", "new"]

    # And removes it again: polling resumes.
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.mailbox.polling
    await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "second")
    await _tick(hass, freezer)
    assert [event.data["message"] for event in events] == ["first", "second"]


async def test_no_polling_with_a_public_address(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With an external URL at start-up, only the start-up fetch asks for the mailbox."""
    await hass.config.async_update(external_url="https://home.example.org")
    entry = await setup_account(hass, mock_config_entry)
    assert not entry.runtime_data.mailbox.polling
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert _inbound_requests(emulator) == ["new"]


async def test_poll_failures_are_logged_once(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreachable SMSPilot is logged once; nothing is lost once it is back."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    await setup_account(hass, mock_config_entry)
    await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "waiting")
    emulator.set_fault("http_500")
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len([line for line in warnings if "inbound SMS" in line]) == 1
    assert events == []

    emulator.clear_faults()
    await _tick(hass, freezer)
    assert [event.data["message"] for event in events] == ["waiting"]
    assert "Fetching inbound SMS from SMSPilot works again" in caplog.text


async def test_sensor_restores_after_restart(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The last inbound SMS is shown again after Home Assistant restarts."""
    sensor_id = "sensor.smspilot_last_inbound_sms"
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{DEMO_USER_ID}_last_inbound_message",
        suggested_object_id="smspilot_last_inbound_sms",
    )
    attributes = {
        "id": 42,
        "phone": "79087964781",
        "message": "Before the restart",
        "num": "79533984570",
        "received_at": "2026-01-02T03:04:05+00:00",
        "friendly_name": "SMSPilot Last inbound SMS",
    }
    mock_restore_cache(hass, [State(sensor_id, "Before the restart", attributes)])
    await setup_account(hass, mock_config_entry)
    state = hass.states.get(sensor_id)
    assert state is not None
    assert state.state == "Before the restart"
    for key in ("id", "phone", "message", "num", "received_at"):
        assert state.attributes[key] == attributes[key]


async def test_sensor_without_history(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """With nothing received yet, the sensor is unknown (a stored 'unavailable' is ignored)."""
    sensor_id = "sensor.smspilot_last_inbound_sms"
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{DEMO_USER_ID}_last_inbound_message",
        suggested_object_id="smspilot_last_inbound_sms",
    )
    mock_restore_cache(hass, [State(sensor_id, "unavailable")])
    await setup_account(hass, mock_config_entry)
    state = hass.states.get(sensor_id)
    assert state is not None
    assert state.state == "unknown"


async def test_sensor_added_again_shows_the_last_sms(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A sensor re-added while the account runs (a new entity id) shows the last SMS."""
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    assert await post_form(client, webhook_path(entry), inbound_form(5, message="latest")) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = er.async_get(hass)
    registry.async_update_entity(
        entity_id(hass, "sensor", "last_inbound_message"), new_entity_id="sensor.gate_sms"
    )
    await hass.async_block_till_done()
    state = hass.states.get("sensor.gate_sms")
    assert state is not None
    assert state.state == "latest"
    assert state.attributes["id"] == 5


async def test_mail_from_before_the_account_is_not_announced(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unseen mail older than the account is remembered, never announced (no old commands)."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    old = await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "open")
    freezer.tick(timedelta(days=1))
    recent = await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "hello")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        data={CONF_API_KEY: DEMO_API_KEY, CONF_API_URL: emulator.api_url},
    )
    await setup_account(hass, entry)
    assert [event.data["id"] for event in events] == [recent.id]

    # SMSPilot posting the old one later does not announce it either.
    client = await serve_http(hass, hass_client_no_auth)
    assert await post_form(client, webhook_path(entry), inbound_form(old.id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in events] == [recent.id]


async def test_a_burst_fires_every_event_and_shows_the_newest_sms(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A burst fires every event; the last-inbound sensor ends on the newest SMS.

    SMS closer together than the sensor's write interval each fire the bus event and the
    event entity, while the sensor writes the newest one once the burst pauses.
    """
    entry = await setup_account(hass, mock_config_entry)
    client = await serve_http(hass, hass_client_no_auth)
    sensor = entity_id(hass, "sensor", "last_inbound_message")
    event_entity = entity_id(hass, "event", "inbound_sms")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    changes: list[tuple[str, Any]] = []

    def record(event: Any) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] in (sensor, event_entity) and new is not None:
            changes.append((event.data["entity_id"], new.attributes.get("id")))

    hass.bus.async_listen("state_changed", record)
    for sms_id in (501, 502, 503):
        assert await post_form(client, webhook_path(entry), inbound_form(sms_id)) == 200
    await hass.async_block_till_done()
    assert [event.data["id"] for event in events] == [501, 502, 503]
    assert [sms for entity, sms in changes if entity == event_entity] == [501, 502, 503]
    # The first SMS is shown at once; the rest of the burst waits for the pause.
    assert next(sms for entity, sms in changes if entity == sensor) == 501

    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    assert [sms for entity, sms in changes if entity == sensor][-1] == 503
    assert hass.states.get(sensor).attributes["id"] == 503
