"""Faults from SMSPilot during polling and sending: timeouts, 5xx, garbage, hang-ups, lost keys.

Entities go unavailable and come back, sends fail with a clear translated error, nothing is
sent twice, and statuses and inbound SMS held up by a fault arrive once it is over. Time runs
for real here (no freezer), so the client's timeouts can expire; timers are fired ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smspilot.const import (
    ACCOUNT_SCAN_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    EVENT_SMS_RECEIVED,
    INBOUND_POLL_INTERVAL,
    STATUS_POLL_INTERVAL,
)
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator, RecordedRequest
from tests.conftest import restore_key, revoke_key

PHONE = "79087964781"
# Short enough for a test to wait out, long against a loopback answer.
CLIENT_TIMEOUT = 0.3
LATENCY = 1.0

type Fault = Callable[[Emulator], None]


def _timeout(emulator: Emulator) -> None:
    """Answer later than the client waits."""
    emulator.set_fault("latency", seconds=LATENCY)


def _http_500(emulator: Emulator) -> None:
    """Answer HTTP 500."""
    emulator.set_fault("http_500")


def _garbage(emulator: Emulator) -> None:
    """Answer an HTML error page instead of JSON."""
    emulator.set_fault("non_json")


def _hang_up(emulator: Emulator) -> None:
    """Drop the connection without an answer."""
    emulator.set_fault("drop_connection")


def _key_refused(emulator: Emulator) -> None:
    """Refuse the API key from now on (the account was blocked)."""
    revoke_key(emulator)


def _recover(emulator: Emulator) -> None:
    """Switch every fault off."""
    emulator.clear_faults()
    restore_key(emulator)


TRANSIENT: dict[str, Fault] = {
    "timeout": _timeout,
    "http_500": _http_500,
    "garbage": _garbage,
    "hang_up": _hang_up,
}
SEND_FAULTS: dict[str, tuple[Fault, str]] = {
    "timeout": (_timeout, "connection_failed"),
    "http_500": (_http_500, "connection_failed"),
    "garbage": (_garbage, "unexpected_response"),
    "hang_up": (_hang_up, "connection_failed"),
    "key_refused": (_key_refused, "auth_failed"),
}


@pytest.fixture
async def account(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> SmsPilotConfigEntry:
    """Return the set-up demo account, its client giving up after CLIENT_TIMEOUT."""
    entry: SmsPilotConfigEntry = init_integration  # type: ignore[assignment]
    # The client's timeout is fixed when the entry sets up; 30 s is too long for a test.
    entry.runtime_data.client._request_timeout = CLIENT_TIMEOUT
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def _later(hass: HomeAssistant, delta: timedelta) -> None:
    """Run the timers due within `delta` and wait for what they start."""
    async_fire_time_changed(hass, dt_util.utcnow() + delta)
    await hass.async_block_till_done(wait_background_tasks=True)


def _state(hass: HomeAssistant, key: str) -> str:
    """Return the state of one of the account's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{DEMO_USER_ID}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _sends(emulator: Emulator, text: str) -> list[RecordedRequest]:
    """Return the send requests with this text that reached the emulator."""
    return [r for r in emulator.requests if r.params.get("send") == text]


def _reauth_flows(hass: HomeAssistant) -> list[object]:
    """Return the open reauthentication flows of the integration."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


@pytest.mark.parametrize("fault", list(TRANSIENT))
async def test_balance_goes_unavailable_and_comes_back(
    hass: HomeAssistant,
    emulator: Emulator,
    account: SmsPilotConfigEntry,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing balance poll makes the account's sensors unavailable until one works again."""
    assert _state(hass, "balance") == "2934.76"

    TRANSIENT[fault](emulator)
    await _later(hass, ACCOUNT_SCAN_INTERVAL)
    assert _state(hass, "balance") == STATE_UNAVAILABLE
    assert _state(hass, "default_sender") == STATE_UNAVAILABLE
    # One line per failing poll (balance, and the inbound mailbox), and no traceback (Home
    # Assistant 2026 adds the coordinator's own one at debug level).
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == len(set(lines)) <= 2
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]

    _recover(emulator)
    await _later(hass, ACCOUNT_SCAN_INTERVAL * 2)
    assert _state(hass, "balance") == "2934.76"
    assert _state(hass, "default_sender") == "INFORM"


async def test_refused_key_while_polling_asks_for_a_new_one(
    hass: HomeAssistant, emulator: Emulator, account: SmsPilotConfigEntry
) -> None:
    """A key refused during a poll: sensors unavailable, reauthentication, back after it."""
    _key_refused(emulator)
    await _later(hass, ACCOUNT_SCAN_INTERVAL)
    assert _state(hass, "balance") == STATE_UNAVAILABLE
    [flow] = _reauth_flows(hass)

    _recover(emulator)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],  # type: ignore[index]
        {CONF_API_KEY: DEMO_API_KEY},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, "balance") == "2934.76"


@pytest.mark.parametrize("fault", list(SEND_FAULTS))
async def test_send_fails_clearly_and_only_once(
    hass: HomeAssistant, emulator: Emulator, account: SmsPilotConfigEntry, fault: str
) -> None:
    """A send hit by a fault fails with a translated error after exactly one request."""
    make_fault, translation_key = SEND_FAULTS[fault]
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    make_fault(emulator)

    with pytest.raises(HomeAssistantError) as failure:
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": PHONE, "message": "Gate open"}, blocking=True
        )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert failure.value.translation_key == translation_key
    assert str(failure.value)  # the translated message, not an empty text
    assert len(_sends(emulator, "Gate open")) == 1
    assert events == []
    assert bool(_reauth_flows(hass)) is (fault == "key_refused")

    # Once SMSPilot works again the next send goes out, again as one request.
    _recover(emulator)
    await hass.services.async_call(
        DOMAIN, "send_sms", {"to": PHONE, "message": "Gate open"}, blocking=True
    )
    assert len(_sends(emulator, "Gate open")) == 2
    if fault == "timeout":
        # SMSPilot still answers the first request, after the client gave up on it.
        await asyncio.sleep(LATENCY)
    stored = [m for m in emulator.messages.values() if m.text == "Gate open"]
    # An answer lost to the timeout still left one message at SMSPilot: never more.
    assert len(stored) == (2 if fault == "timeout" else 1)


@pytest.mark.parametrize("fault", [*TRANSIENT, "key_refused"])
async def test_statuses_arrive_after_a_failed_status_poll(
    hass: HomeAssistant,
    emulator: Emulator,
    account: SmsPilotConfigEntry,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A status poll hit by a fault is retried on the next one; each status is announced once."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN, "send_sms", {"to": PHONE, "message": "Door opened"}, blocking=True
    )
    await emulator.complete_all()

    (TRANSIENT.get(fault) or _key_refused)(emulator)
    await _later(hass, STATUS_POLL_INTERVAL)
    assert [event.data["status_name"] for event in events] == ["accepted"]
    assert account.runtime_data.delivery.pending_count == 1
    warnings = [
        r for r in caplog.records if r.levelno >= logging.WARNING and "status" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]

    _recover(emulator)
    await _later(hass, STATUS_POLL_INTERVAL * 2)
    assert [event.data["status_name"] for event in events] == ["accepted", "delivered"]
    assert account.runtime_data.delivery.pending_count == 0


@pytest.mark.parametrize("fault", ["http_500", "garbage", "hang_up"])
async def test_inbound_sms_fetched_after_a_failed_poll(
    hass: HomeAssistant, emulator: Emulator, account: SmsPilotConfigEntry, fault: str
) -> None:
    """An SMS waiting while the mailbox fetch fails is announced once the fetch works."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    record = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "Open the gate")
    TRANSIENT[fault](emulator)
    await _later(hass, INBOUND_POLL_INTERVAL)
    assert events == []

    _recover(emulator)
    await _later(hass, INBOUND_POLL_INTERVAL * 2)
    assert [event.data["id"] for event in events] == [record.id]


async def test_inbound_sms_survive_a_fetch_whose_answer_was_lost(
    hass: HomeAssistant, emulator: Emulator, account: SmsPilotConfigEntry
) -> None:
    """An SMS whose fetch timed out after SMSPilot handed it over is still announced."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    record = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "Open the gate")
    _timeout(emulator)
    await _later(hass, INBOUND_POLL_INTERVAL)
    # SMSPilot answered after the client gave up: the SMS is marked seen there.
    await asyncio.sleep(LATENCY + 0.2)
    assert emulator.accounts[DEMO_API_KEY].mailbox[0].seen

    _recover(emulator)
    await _later(hass, INBOUND_POLL_INTERVAL * 2)
    assert [event.data["id"] for event in events] == [record.id]
