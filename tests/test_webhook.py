"""Tests for the account's webhook: inbound SMS and delivery statuses over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import logging
import time
from typing import Any
from unittest.mock import patch

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.api import StatusCallback
from custom_components.smspilot.const import DOMAIN, EVENT_MESSAGE_STATUS, EVENT_SMS_RECEIVED
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator

from .inbound_helpers import (
    entity_id,
    inbound_form,
    post_form,
    serve_http,
    setup_account,
    webhook_path,
)

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def account(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the demo account."""
    return await setup_account(hass, mock_config_entry)


@pytest.fixture
async def client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, account: MockConfigEntry
) -> TestClient:
    """Serve Home Assistant over HTTP and make that address its external URL."""
    return await serve_http(hass, hass_client_no_auth)


async def test_inbound_sms_from_smspilot(
    hass: HomeAssistant, emulator: Emulator, client: TestClient, account: MockConfigEntry
) -> None:
    """An SMS SMSPilot posts fires the bus event, the event entity and the sensor."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    emulator.accounts[DEMO_API_KEY].inbound_webhook_url = str(
        client.make_url(webhook_path(account))
    )
    before = dt_util.utcnow()
    record = await emulator.inject_inbound(
        DEMO_API_KEY, "79087964781", "Свет в гараже", "79533984570"
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert record.webhook_delivered is True
    assert len(events) == 1
    data = dict(events[0].data)
    received_at = dt_util.parse_datetime(data.pop("received_at"))
    assert received_at is not None
    assert before <= received_at <= dt_util.utcnow()
    assert data == {
        "config_entry_id": account.entry_id,
        "id": record.id,
        "phone": "79087964781",
        "message": "Свет в гараже",
        "num": "79533984570",
    }

    event_state = hass.states.get(entity_id(hass, "event", "inbound_sms"))
    assert event_state is not None
    assert dt_util.parse_datetime(event_state.state) is not None
    assert event_state.attributes["event_type"] == "received"
    assert event_state.attributes["event_types"] == ["received"]
    assert {key: event_state.attributes[key] for key in ("phone", "message", "num", "id")} == {
        "phone": "79087964781",
        "message": "Свет в гараже",
        "num": "79533984570",
        "id": record.id,
    }

    sensor_state = hass.states.get(entity_id(hass, "sensor", "last_inbound_message"))
    assert sensor_state is not None
    assert sensor_state.state == "Свет в гараже"
    assert sensor_state.attributes["phone"] == "79087964781"
    assert sensor_state.attributes["message"] == "Свет в гараже"
    assert sensor_state.attributes["received_at"] == received_at.isoformat()


async def test_entities_belong_to_the_account_device(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    """The event entity and the sensor sit on the account's device, next to the balance."""
    registry = er.async_get(hass)
    balance = registry.async_get(entity_id(hass, "sensor", "balance"))
    assert balance is not None
    device = dr.async_get(hass).async_get(str(balance.device_id))
    assert device is not None
    assert (DOMAIN, str(DEMO_USER_ID)) in device.identifiers
    for platform, key in (("event", "inbound_sms"), ("sensor", "last_inbound_message")):
        entry = registry.async_get(entity_id(hass, platform, key))
        assert entry is not None
        assert entry.device_id == device.id
        assert entry.config_entry_id == account.entry_id


async def test_status_callbacks_reach_the_tracker(
    hass: HomeAssistant, emulator: Emulator, client: TestClient, account: MockConfigEntry
) -> None:
    """SMSPilot's POST callback and a GET callback both move a sent message on."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    tracker = account.runtime_data.delivery
    assert tracker.callback_url == str(client.make_url(webhook_path(account)))
    with patch.object(
        tracker, "async_handle_callback", wraps=tracker.async_handle_callback
    ) as handle:
        # POST: the emulator calls the callback address the integration gave it.
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": ["79161234567"], "message": "test"}, blocking=True
        )
        await emulator.complete_all()
        await hass.async_block_till_done(wait_background_tasks=True)
        first = max(emulator.messages)
        assert emulator.messages[first].callback == tracker.callback_url
        assert handle.call_count >= 1
        assert all(isinstance(call.args[0], StatusCallback) for call in handle.call_args_list)
        assert handle.call_args_list[-1].args[0].server_id == first
        assert [event.data["status"] for event in events if event.data["server_id"] == first][
            -1
        ] == 2

        # GET: the query string form of the same callback.
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": ["79161234568"], "message": "test"}, blocking=True
        )
        second = max(emulator.messages)
        handle.reset_mock()
        query = {"server_id": str(second), "phone": "79161234568", "status": "2", "error": "0"}
        async with client.get(webhook_path(account), params=query) as response:
            assert response.status == 200
        await hass.async_block_till_done(wait_background_tasks=True)
        handle.assert_called_once()
        assert handle.call_args.args[0].server_id == second
        assert int(handle.call_args.args[0].status) == 2
        assert events[-1].data["server_id"] == second
        assert events[-1].data["status"] == 2


async def test_post_callback_with_fields_in_the_address(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """A POST whose fields are all in the query string (empty body) is read like a GET."""
    tracker = account.runtime_data.delivery
    with patch.object(
        tracker, "async_handle_callback", wraps=tracker.async_handle_callback
    ) as handle:
        query = {"server_id": "31", "phone": "79161234567", "status": "1", "error": "0"}
        async with client.post(webhook_path(account), params=query) as response:
            assert response.status == 200
    handle.assert_called_once()
    assert handle.call_args.args[0].server_id == 31


async def test_status_callback_for_unknown_message(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """A status for a message this account never sent is accepted and ignored."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    query = {"server_id": "999999", "phone": "79161234567", "status": "2", "error": "0"}
    async with client.get(webhook_path(account), params=query) as response:
        assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert account.runtime_data.mailbox.rejected == 0


async def test_tracker_failure_is_answered_and_logged_without_traceback(
    hass: HomeAssistant,
    client: TestClient,
    account: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fault behind the webhook still answers 200 and logs one line, no traceback."""
    with patch.object(
        account.runtime_data.delivery, "async_handle_callback", side_effect=RuntimeError("boom")
    ):
        query = {"server_id": "1", "phone": "79161234567", "status": "2", "error": "0"}
        async with client.get(webhook_path(account), params=query) as response:
            assert response.status == 200
    errors = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in errors] == [
        "Could not process a delivery status from SMSPilot (RuntimeError: boom)"
    ]
    assert errors[0].exc_info is None
    assert "Traceback" not in caplog.text.split("DEBUG")[0]


async def test_wrong_account_is_refused(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """An SMS for another SMSPilot account gets 403 and fires nothing."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    assert await post_form(client, webhook_path(account), inbound_form(user_id="99999")) == 403
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert account.runtime_data.mailbox.rejected == 1
    sensor_state = hass.states.get(entity_id(hass, "sensor", "last_inbound_message"))
    assert sensor_state is not None
    assert sensor_state.state == "unknown"


def _loud(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return Home Assistant's and the integration's records above debug level.

    The test server's own access log (aiohttp.access) is not Home Assistant's.
    """
    return [
        record
        for record in caplog.records
        if record.levelno > logging.DEBUG and record.name.startswith(("homeassistant", "custom_"))
    ]


def _form_body(fields: dict[str, str]) -> bytes:
    """Encode fields as a URL-encoded body."""
    return "&".join(f"{key}={value}" for key, value in fields.items()).encode()


async def _chunks(total: int) -> AsyncIterator[bytes]:
    """Yield a URL-encoded body of `total` bytes in pieces (sent without Content-Length)."""
    yield b"phone=79087964781&message="
    sent = 26
    while sent < total:
        piece = min(4096, total - sent)
        yield b"a" * piece
        sent += piece


def _multipart() -> FormData:
    """Return the inbound form as multipart/form-data."""
    data = FormData()
    for key, value in inbound_form().items():
        data.add_field(key, value)
    data.add_field("file", b"x", filename="x.txt")
    return data


MALFORMED: list[tuple[str, dict[str, Any], int]] = [
    (
        "missing id",
        {"data": _form_body(inbound_form(id="")), "headers": {"Content-Type": FORM}},
        400,
    ),
    ("id not a number", {"data": inbound_form(id="abc")}, 400),
    ("no phone", {"data": {k: v for k, v in inbound_form().items() if k != "phone"}}, 400),
    ("no message", {"data": {k: v for k, v in inbound_form().items() if k != "message"}}, 400),
    ("no user_id", {"data": {k: v for k, v in inbound_form().items() if k != "user_id"}}, 400),
    (
        "body not UTF-8",
        {"data": _form_body(inbound_form()) + b"\xff\xfe", "headers": {"Content-Type": FORM}},
        400,
    ),
    (
        "escape not UTF-8",
        {"data": _form_body(inbound_form(message="%FF%FE")), "headers": {"Content-Type": FORM}},
        400,
    ),
    ("not a form", {"data": b"this is not a form", "headers": {"Content-Type": FORM}}, 400),
    ("JSON", {"json": inbound_form()}, 415),
    ("multipart", {"data": _multipart()}, 415),
    ("too many fields", {"data": inbound_form() | {f"f{i}": "x" for i in range(60)}}, 400),
    ("too large", {"data": inbound_form(message="a" * 17_000)}, 413),
    ("too large, chunked", {"data": _chunks(40_000), "headers": {"Content-Type": FORM}}, 413),
    ("bad status", {"data": {"server_id": "1", "phone": "7916", "status": "x", "error": "0"}}, 400),
    ("status without phone", {"data": {"server_id": "1", "status": "2"}}, 400),
    ("empty GET", {"method": "GET"}, 400),
    ("too many query fields", {"method": "GET", "params": {f"f{i}": "x" for i in range(60)}}, 400),
    (
        "bad GET status",
        {"method": "GET", "params": {"server_id": "x", "phone": "1", "status": "2"}},
        400,
    ),
]


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [pytest.param(kwargs, status, id=name) for name, kwargs, status in MALFORMED],
)
async def test_malformed_requests_are_refused(
    hass: HomeAssistant,
    client: TestClient,
    account: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    request_kwargs: dict[str, Any],
    status: int,
) -> None:
    """Malformed or oversized requests get a 4xx, fire nothing and log nothing loud."""
    caplog.set_level(logging.DEBUG)
    sms_events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    status_events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "POST")
    async with client.request(method, webhook_path(account), **kwargs) as response:
        assert response.status == status
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sms_events == []
    assert status_events == []
    assert account.runtime_data.mailbox.rejected == 1
    assert _loud(caplog) == []
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert ours  # the refusal is logged at debug level, without the webhook id
    assert all(account.data[CONF_WEBHOOK_ID] not in line for line in ours)


async def test_other_methods(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """HEAD answers (to let SMSPilot check the address); PUT is not accepted."""
    async with client.head(webhook_path(account)) as response:
        assert response.status == 200
    async with client.put(webhook_path(account), data=inbound_form()) as response:
        assert response.status == 405


async def test_replay_fires_once(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """A delivery retried or replayed, even concurrently, fires one event."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    path = webhook_path(account)
    assert await post_form(client, path, inbound_form(101)) == 200
    statuses = await asyncio.gather(*(post_form(client, path, inbound_form(101)) for _ in range(5)))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await post_form(client, path, inbound_form(101)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert statuses == [200] * 5
    assert [event.data["id"] for event in events] == [101]
    assert account.runtime_data.mailbox.duplicates == 6


async def test_order_is_kept(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """SMS arriving one after another are announced in that order."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    ids = [500 - n for n in range(20)]  # ids need not grow; arrival order counts
    for sms_id in ids:
        assert await post_form(client, webhook_path(account), inbound_form(sms_id)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in events] == ids


async def test_burst_of_a_thousand(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """1,000 concurrent inbound SMS fire exactly 1,000 events, answered well within 30 s."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    path = webhook_path(account)
    started = time.monotonic()
    statuses = await asyncio.gather(
        *(
            post_form(client, path, inbound_form(10_000 + n, message=f"SMS {n}"))
            for n in range(1000)
        )
    )
    elapsed = time.monotonic() - started
    await hass.async_block_till_done(wait_background_tasks=True)
    assert statuses == [200] * 1000
    assert elapsed < 30
    assert len(events) == 1000
    assert sorted(event.data["id"] for event in events) == list(range(10_000, 11_000))
    assert account.runtime_data.mailbox.received == 1000
    assert account.runtime_data.mailbox.rejected == 0


async def test_long_sms_is_cut_in_the_state_only(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """The sensor's state keeps 255 characters with an ellipsis; the attribute keeps all."""
    text = "Ж" * 300
    assert await post_form(client, webhook_path(account), inbound_form(7, message=text)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id(hass, "sensor", "last_inbound_message"))
    assert state is not None
    assert len(state.state) == 255
    assert state.state == "Ж" * 254 + "…"
    assert state.attributes["message"] == text


async def test_empty_sms(hass: HomeAssistant, client: TestClient, account: MockConfigEntry) -> None:
    """An empty SMS (and one without a service number) is still an SMS."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    form = inbound_form(8, message="")
    del form["num"]
    assert await post_form(client, webhook_path(account), form) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(event.data["message"], event.data["num"]) for event in events] == [("", "")]


async def test_secrets_and_texts_stay_out_of_the_log(
    hass: HomeAssistant,
    client: TestClient,
    account: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Above debug level, the log shows neither the webhook id nor message texts."""
    caplog.set_level(logging.DEBUG)
    path = webhook_path(account)
    await post_form(client, path, inbound_form(9, message="secret door code 1234"))
    await post_form(client, path, inbound_form(10, message="secret door code 1234", user_id="1"))
    await post_form(client, path, inbound_form(11, id="x", message="secret door code 1234"))
    await hass.async_block_till_done(wait_background_tasks=True)
    loud = "\n".join(record.getMessage() for record in _loud(caplog))
    assert account.data[CONF_WEBHOOK_ID] not in loud
    assert "secret door code" not in loud
    assert DEMO_API_KEY not in caplog.text
    # Even at debug level, our own lines carry no texts.
    ours = [r for r in caplog.records if r.name.startswith("custom_components.smspilot")]
    assert ours
    assert all("secret door code" not in record.getMessage() for record in ours)
    assert all(account.data[CONF_WEBHOOK_ID] not in record.getMessage() for record in ours)


async def test_webhook_gone_after_unload(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """After unloading, the address answers like any unknown webhook and fires nothing."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    assert await hass.config_entries.async_unload(account.entry_id)
    await hass.async_block_till_done()
    assert await post_form(client, webhook_path(account), inbound_form(12)) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []


async def test_sms_arriving_while_unloading_is_not_lost(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """SMS accepted just before an unload are still announced."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    path = webhook_path(account)
    statuses = await asyncio.gather(
        *(post_form(client, path, inbound_form(600 + n)) for n in range(50))
    )
    assert await hass.config_entries.async_unload(account.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert statuses == [200] * 50
    assert sorted(event.data["id"] for event in events) == list(range(600, 650))


async def test_event_time_is_timezone_aware(
    hass: HomeAssistant, client: TestClient, account: MockConfigEntry
) -> None:
    """received_at is an ISO 8601 time with its offset."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    await post_form(client, webhook_path(account), inbound_form(13))
    await hass.async_block_till_done(wait_background_tasks=True)
    received_at = dt_util.parse_datetime(events[0].data["received_at"])
    assert received_at is not None
    assert received_at.utcoffset() == timedelta(0)
