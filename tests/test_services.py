"""Tests for the SMSPilot actions, against the emulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smspilot.api import (
    ApiErrorDetail,
    MessageStatus,
    SendResult,
    SentMessage,
    SmsPilotClient,
    SmsPilotConnectionError,
    SmsPilotError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    SmsPilotSpamProtectionError,
)
from custom_components.smspilot.const import (
    CONF_API_URL,
    CONF_DEFAULT_SENDER,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
)
from smspilot_emulator import DEMO_API_KEY, Emulator, RecordedRequest

from .conftest import WEBHOOK_ID, revoke_key, user_info_requests

INTEGRATION_DIR = Path(__file__).parent.parent / "custom_components" / DOMAIN
BALANCE = "sensor.smspilot_balance"
PHONE = "79087964781"
OTHER_PHONE = "79161234567"
BLACKLISTED = "79999999999"
SECOND_KEY = "SECOND0000000000000000000000000000000000000000000000000000000001"


def sends(emulator: Emulator) -> list[RecordedRequest]:
    """Return the `send=` requests (sends, calls, checks and cost estimates) received."""
    return [r for r in emulator.requests if "send" in r.params]


def checks(emulator: Emulator) -> list[RecordedRequest]:
    """Return the status requests received."""
    return [r for r in emulator.requests if "check" in r.params]


def form(**params: str) -> dict[str, str]:
    """Return a request form as the client sends it for the demo account."""
    return {"apikey": DEMO_API_KEY, "format": "json", **params}


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = True
) -> dict[str, Any]:
    """Call one of the integration's actions and return its response data."""
    result = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )
    return dict(result or {})


async def add_second_account(
    hass: HomeAssistant, emulator: Emulator, *, load: bool = True
) -> MockConfigEntry:
    """Add a second SMSPilot account (loaded unless told otherwise)."""
    account = emulator.add_account(SECOND_KEY, balance=Decimal("50.00"))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        unique_id=str(account.user_id),
        data={
            CONF_API_KEY: SECOND_KEY,
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: "1f5a2d9c4e7b41a8b3c6d1e2f3a4b5c7",
        },
    )
    entry.add_to_hass(hass)
    if load:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry


# Sending


@pytest.mark.usefixtures("init_integration")
async def test_send_sms(hass: HomeAssistant, emulator: Emulator) -> None:
    """Numbers in any form go out as international digits, once each, in one request."""
    response = await call(
        hass,
        "send_sms",
        {
            "to": ["+7 908 796-47-81", "8 (916) 123-45-67", "79087964781"],
            "message": "Water leak!",
            "sender": "test",
            "ttl": 60,
        },
    )
    [request] = sends(emulator)
    assert request.method == "POST"
    assert request.query == ""
    assert request.params == form(
        send="Water leak!", to=f"{PHONE},{OTHER_PHONE}", **{"from": "test"}, ttl="60"
    )
    first = response["packet_id"]
    assert response == {
        "packet_id": first,
        "cost": 2.62,
        "balance": 2932.14,
        "parts": 1,
        "messages": [
            {
                "server_id": first,
                "phone": PHONE,
                "price": 1.31,
                "status": 0,
                "status_name": "accepted",
                "error": None,
            },
            {
                "server_id": first + 1,
                "phone": OTHER_PHONE,
                "price": 1.31,
                "status": 0,
                "status_name": "accepted",
                "error": None,
            },
        ],
    }
    assert set(emulator.messages) == {first, first + 1}


async def test_send_updates_balance_without_asking_again(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """The balance sensor shows the balance the send answered with; no extra request is made."""
    assert hass.states.get(BALANCE).state == "2934.76"
    user_info = len(user_info_requests(emulator))
    await call(hass, "send_sms", {"to": PHONE, "message": "Hi"}, response=False)
    assert hass.states.get(BALANCE).state == "2933.45"
    assert len(user_info_requests(emulator)) == user_info
    assert [r for r in emulator.requests if "balance" in r.params] == []


@pytest.mark.usefixtures("init_integration")
async def test_send_sms_tells_the_tracker(hass: HomeAssistant, emulator: Emulator) -> None:
    """Each sent message gets a status event (the tracker follows what is sent)."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    response = await call(hass, "send_sms", {"to": f"{PHONE}, {OTHER_PHONE}", "message": "Hi"})
    await hass.async_block_till_done()
    sent_ids = {message["server_id"] for message in response["messages"]}
    assert {event.data["server_id"] for event in events} == sent_ids
    assert {event.data["kind"] for event in events} == {"sms"}


async def test_send_passes_the_status_callback(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """With a public address, every send asks SMSPilot to POST statuses to the webhook."""
    await hass.config.async_update(external_url="http://127.0.0.1:9")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await call(hass, "send_sms", {"to": PHONE, "message": "Hi"}, response=False)
    await call(hass, "flash_call", {"to": PHONE, "code": "1234"}, response=False)
    callback_url = f"http://127.0.0.1:9/api/webhook/{WEBHOOK_ID}"
    assert [(r.params["callback"], r.params["callback_method"]) for r in sends(emulator)] == [
        (callback_url, "post"),
        (callback_url, "post"),
    ]


async def test_send_uses_the_default_sender_option(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Without a sender in the call, the sender chosen in the options is used."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_DEFAULT_SENDER: "test"})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await call(hass, "send_sms", {"to": PHONE, "message": "Hi"}, response=False)
    assert sends(emulator)[0].params["from"] == "test"


@pytest.mark.usefixtures("init_integration")
async def test_send_sms_without_sender_lets_the_account_default_apply(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """With no sender anywhere, no `from` is sent and SMSPilot uses the account's default."""
    await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert "from" not in sends(emulator)[0].params


@pytest.mark.usefixtures("init_integration")
async def test_send_sms_later_and_in_test_mode(hass: HomeAssistant, emulator: Emulator) -> None:
    """A local send time goes out in UTC; test mode goes out as test=1 and stores nothing."""
    await hass.config.async_set_time_zone("Europe/Moscow")
    local = (dt_util.now() + timedelta(days=1)).replace(microsecond=0)
    response = await call(
        hass,
        "send_sms",
        {
            "to": PHONE,
            "message": "Reminder",
            "send_at": local.replace(tzinfo=None).isoformat(),
            "test": True,
        },
    )
    [request] = sends(emulator)
    assert request.params == form(
        send="Reminder",
        to=PHONE,
        send_datetime=local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        test="1",
    )
    assert response["messages"][0]["status_name"] == "scheduled"
    assert emulator.messages == {}


@pytest.mark.usefixtures("init_integration")
async def test_ten_recipients_go_out_in_one_request(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Ten recipients are one request and ten messages."""
    phones = [f"7916123450{digit}" for digit in range(10)]
    response = await call(hass, "send_sms", {"to": ", ".join(phones), "message": "All"})
    [request] = sends(emulator)
    assert request.params["to"] == ",".join(phones)
    assert [message["phone"] for message in response["messages"]] == phones
    assert response["cost"] == pytest.approx(13.10)


@pytest.mark.usefixtures("init_integration")
async def test_home_country_reads_national_numbers(hass: HomeAssistant, emulator: Emulator) -> None:
    """Numbers without a country code belong to Home Assistant's country."""
    await hass.config.async_update(country="DE")
    await call(hass, "send_sms", {"to": ["0151 12345678", "+7 908 796 47 81"], "message": "Hi"})
    assert sends(emulator)[0].params["to"] == f"4915112345678,{PHONE}"


@pytest.mark.usefixtures("init_integration")
async def test_long_sms_reports_its_parts(hass: HomeAssistant, emulator: Emulator) -> None:
    """A long Cyrillic text is counted in parts, as SMSPilot bills it."""
    response = await call(hass, "send_sms", {"to": PHONE, "message": "Ж" * 135})
    assert response["parts"] == 3
    assert response["cost"] == pytest.approx(3 * 1.31)


@pytest.mark.usefixtures("init_integration")
async def test_send_voice(hass: HomeAssistant, emulator: Emulator) -> None:
    """A voice call goes out with the robot sender; the totals from the extra element count."""
    response = await call(
        hass,
        "send_voice",
        {"to": [PHONE, OTHER_PHONE], "message": "Smoke in the kitchen", "ttl": 30},
    )
    [request] = sends(emulator)
    assert request.params == form(
        send="Smoke in the kitchen", to=f"{PHONE},{OTHER_PHONE}", ttl="30", **{"from": "GOLOS"}
    )
    assert response["cost"] == 1.0
    assert response["balance"] == 2933.76
    assert response["parts"] == 1
    assert [message["status_name"] for message in response["messages"]] == ["accepted"] * 2


@pytest.mark.usefixtures("init_integration")
async def test_flash_call(hass: HomeAssistant, emulator: Emulator) -> None:
    """A FlashCall sends the four-digit code from FLASHCALL."""
    response = await call(hass, "flash_call", {"to": "8 908 796-47-81", "code": "0421"})
    [request] = sends(emulator)
    assert request.params == form(send="0421", to=PHONE, **{"from": "FLASHCALL"})
    assert response["messages"][0]["price"] == 0.8


@pytest.mark.usefixtures("init_integration")
async def test_check_number_without_waiting(hass: HomeAssistant, emulator: Emulator) -> None:
    """An HLR check answers at once with the accepted checks."""
    response = await call(hass, "check_number", {"to": [PHONE, OTHER_PHONE]})
    [request] = sends(emulator)
    assert request.params == form(send="HLR", to=f"{PHONE},{OTHER_PHONE}")
    assert response["complete"] is False
    assert response["cost"] == pytest.approx(0.30)
    assert [message["status"] for message in response["messages"]] == [0, 0]
    assert checks(emulator) == []


@pytest.mark.usefixtures("init_integration")
async def test_check_number_waits_for_the_hlrvip_result(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """With `wait`, HLRVIP results are polled with all fields until final, details included."""
    emulator.status_delays = (0.05, 0.1)
    response = await call(
        hass,
        "check_number",
        {"to": f"{PHONE}, {BLACKLISTED[:-1]}8", "method": "HLRVIP", "wait": 20},
    )
    [request] = sends(emulator)
    assert request.params == form(send="HLRVIP", to=f"{PHONE},79999999998")
    assert response["complete"] is True
    first = response["messages"][0]
    assert first["status"] == 2
    assert first["status_name"] == "served"
    assert first["phone"] == PHONE
    assert {key: first[key] for key in ("imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet")} == {
        "imsi": "250209087964781",
        "mcc": "250",
        "mnc": "20",
        "cn": "Russia",
        "net": "Tele2",
        "gcn": "Russia",
        "gnet": "Tele2",
    }
    polls = checks(emulator)
    assert polls
    assert all(poll.params["fields"] == "all" for poll in polls)
    assert polls[0].params["check"] == ",".join(str(m["server_id"]) for m in response["messages"])


@pytest.mark.usefixtures("init_integration")
async def test_check_number_stops_waiting_at_the_bound(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """When the result is not final within `wait`, the latest states come back as incomplete."""
    emulator.status_delays = (30.0, 60.0)
    response = await call(hass, "check_number", {"to": PHONE, "method": "ping", "wait": 1})
    assert response["complete"] is False
    assert response["messages"][0]["status_name"] == "accepted"
    assert sends(emulator)[0].params["send"] == "PING"
    [poll] = checks(emulator)
    assert "fields" not in poll.params


async def test_check_number_wait_survives_a_failed_poll(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A poll that fails ends the wait with a warning; the paid check's ids still come back."""
    with patch.object(
        SmsPilotClient, "get_status", autospec=True, side_effect=SmsPilotConnectionError("down")
    ):
        response = await call(hass, "check_number", {"to": PHONE, "wait": 5})
    assert response["complete"] is False
    assert response["messages"][0]["server_id"] == response["packet_id"]
    assert "Stopped waiting for the number check result" in caplog.text


# Reading


@pytest.mark.usefixtures("init_integration")
async def test_check_status_by_ids_and_by_packet(hass: HomeAssistant, emulator: Emulator) -> None:
    """Statuses are read by ids or packet, returned, and fed to the tracker's events."""
    sent = await call(hass, "send_sms", {"to": [PHONE, "79000000000"], "message": "Hi"})
    await emulator.complete_all()
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    first, second = (message["server_id"] for message in sent["messages"])

    by_ids = await call(hass, "check_status", {"server_ids": [f"{first}, {second}"]})
    assert checks(emulator)[-1].params == form(check=f"{first},{second}")
    assert [(m["server_id"], m["status"], m["status_name"]) for m in by_ids["messages"]] == [
        (first, 2, "delivered"),
        (second, -1, "not_delivered"),
    ]
    assert by_ids["messages"][1]["error"] == {
        "code": 604,
        "text": "Undeliverable",
        "description": "Undeliverable",
        "description_ru": "Невозможно доставить",
    }
    await hass.async_block_till_done()
    assert {(event.data["server_id"], event.data["status_name"]) for event in events} == {
        (first, "delivered"),
        (second, "not_delivered"),
    }

    by_packet = await call(hass, "check_status", {"packet_id": sent["packet_id"]})
    assert checks(emulator)[-1].params == form(check="packet", id=str(sent["packet_id"]))
    assert by_packet == by_ids


@pytest.mark.usefixtures("init_integration")
async def test_check_status_of_unknown_messages(hass: HomeAssistant, emulator: Emulator) -> None:
    """Ids SMSPilot does not know give a translated refusal."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "check_status", {"server_ids": "12345"})
    assert err.value.translation_key == "unknown_message_ids"


@pytest.mark.usefixtures("init_integration")
async def test_estimate_cost(hass: HomeAssistant, emulator: Emulator) -> None:
    """The cost of an SMS is asked with cost=1; nothing is sent or charged."""
    response = await call(
        hass,
        "estimate_cost",
        {"to": [PHONE, "8 916 123 45 67"], "message": "a" * 200, "sender": "test"},
    )
    [request] = sends(emulator)
    assert request.params == form(
        send="a" * 200, to=f"{PHONE},{OTHER_PHONE}", cost="1", **{"from": "test"}
    )
    assert response == {
        "cost": 5.24,
        "parts": 2,
        "encoding": "gsm7",
        "length": 200,
        "phones": [PHONE, OTHER_PHONE],
    }
    assert emulator.messages == {}
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")
    assert hass.states.get(BALANCE).state == "2934.76"


# Bad input: refused before anything is sent


@pytest.mark.parametrize(
    ("service", "data", "key", "placeholders"),
    [
        ("send_sms", {"to": "12345", "message": "Hi"}, "invalid_phone", {"number": "12345"}),
        (
            "send_sms",
            {"to": [PHONE, "8-800-555-35-35"], "message": "Hi"},
            "service_phone",
            {"number": "8-800-555-35-35"},
        ),
        ("send_sms", {"to": " , ", "message": "Hi"}, "no_phone_numbers", {"number": ""}),
        ("send_sms", {"to": [], "message": "Hi"}, "no_phone_numbers", {"number": ""}),
        ("send_sms", {"to": PHONE, "message": "  "}, "empty_message", None),
        (
            "send_sms",
            {"to": PHONE, "message": "a" * 1531},
            "message_too_long",
            {"parts": "11", "max_parts": "10", "length": "1531"},
        ),
        (
            "send_sms",
            {"to": PHONE, "message": "Hi", "sender": "Дом"},
            "invalid_sender",
            {"sender": "Дом"},
        ),
        (
            "send_sms",
            {"to": PHONE, "message": "Hi", "sender": "GOLOS"},
            "invalid_sender",
            {"sender": "GOLOS"},
        ),
        (
            "send_sms",
            {"to": PHONE, "message": "Hi", "ttl": 0},
            "invalid_ttl",
            {"ttl": "0", "min_ttl": "1", "max_ttl": "1440"},
        ),
        (
            "send_sms",
            {"to": PHONE, "message": "Hi", "ttl": 1441},
            "invalid_ttl",
            {"ttl": "1441", "min_ttl": "1", "max_ttl": "1440"},
        ),
        ("send_voice", {"to": PHONE, "message": ""}, "empty_message", None),
        (
            "send_voice",
            {"to": PHONE, "message": "x" * 1001},
            "voice_message_too_long",
            {"length": "1001", "max_length": "1000"},
        ),
        ("flash_call", {"to": PHONE, "code": "12a4"}, "invalid_flash_call_code", {"code": "12a4"}),
        ("flash_call", {"to": PHONE, "code": 12345}, "invalid_flash_call_code", {"code": "12345"}),
        ("check_number", {"to": "abc"}, "invalid_phone", {"number": "abc"}),
        (
            "check_number",
            {"to": PHONE, "wait": 121},
            "invalid_wait",
            {"wait": "121", "max_wait": "120"},
        ),
        ("estimate_cost", {"to": PHONE, "message": ""}, "empty_message", None),
        ("check_status", {}, "no_message_ids", None),
        ("check_status", {"server_ids": ["1", "x"]}, "invalid_message_id", {"message_id": "x"}),
        ("check_status", {"server_ids": "1", "packet_id": 1}, "ids_and_packet", None),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_bad_input_is_refused_before_any_request(
    hass: HomeAssistant,
    emulator: Emulator,
    service: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """Bad input raises a translated validation error naming the value; nothing reaches SMSPilot."""
    before = len(emulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders
    assert len(emulator.requests) == before


@pytest.mark.usefixtures("init_integration")
async def test_send_time_in_the_past_is_refused(hass: HomeAssistant, emulator: Emulator) -> None:
    """A send time that has passed is refused without a request."""
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "send_sms",
            {"to": PHONE, "message": "Hi", "send_at": dt_util.now() - timedelta(minutes=1)},
        )
    assert err.value.translation_key == "send_time_in_past"
    assert sends(emulator) == []


# SMSPilot's refusals


@pytest.mark.usefixtures("init_integration")
async def test_blacklisted_number(hass: HomeAssistant, emulator: Emulator) -> None:
    """A black-listed single number is refused with SMSPilot's reason, naming the number."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": BLACKLISTED, "message": "Hi"})
    assert err.value.translation_key == "phone_blacklisted"
    assert err.value.translation_placeholders == {
        "phone": BLACKLISTED,
        "error": "Phone in black list (212)",
    }
    assert len(sends(emulator)) == 1


async def test_partly_refused_packet(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A packet with one refused number reports that recipient's error in the user's language."""
    hass.config.language = "ru"
    response = await call(hass, "send_sms", {"to": [PHONE, BLACKLISTED], "message": "Hi"})
    refused = response["messages"][1]
    assert refused["status"] == -2
    assert refused["status_name"] == "error"
    assert refused["error"] == {
        "code": 212,
        "text": "Телефон в черном списке",
        "description": "Phone in black list",
        "description_ru": "Телефон в черном списке",
    }
    assert response["messages"][0]["error"] is None
    assert "SMSPilot refused 1 of 2 recipient(s): error 212" in caplog.text
    assert BLACKLISTED not in caplog.text


async def test_every_recipient_refused_is_an_error(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """An accepted request in which every recipient was refused still fails loudly."""
    error = ApiErrorDetail(code=212, description="Phone in black list", description_ru="")
    result = SendResult(
        messages=(
            SentMessage(
                server_id=1, phone=PHONE, status=MessageStatus.ERROR, price=None, error=error
            ),
        ),
        balance=None,
        cost=Decimal(0),
        packet_id=1,
    )
    with (
        patch.object(SmsPilotClient, "send_sms", autospec=True, return_value=result),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_key == "all_recipients_refused"
    assert err.value.translation_placeholders == {
        "phone": PHONE,
        "error": "Phone in black list (212)",
    }
    assert hass.states.get(BALANCE).state == "2934.76"


@pytest.mark.usefixtures("init_integration")
async def test_insufficient_balance(hass: HomeAssistant, emulator: Emulator) -> None:
    """Not enough money is a translated error naming the cause and the account."""
    emulator.accounts[DEMO_API_KEY].balance = Decimal("0.50")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "insufficient_funds"
    assert err.value.translation_placeholders == {"account": "SMSPilot"}
    assert emulator.messages == {}


@pytest.mark.usefixtures("init_integration")
async def test_sender_not_registered(hass: HomeAssistant, emulator: Emulator) -> None:
    """A well-formed sender the account has not registered is refused by SMSPilot."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi", "sender": "OTHER"})
    assert err.value.translation_key == "sender_refused"
    assert err.value.translation_placeholders == {"error": "Depricated sender (116)"}


@pytest.mark.usefixtures("init_integration")
async def test_advertisement_is_refused(hass: HomeAssistant, emulator: Emulator) -> None:
    """A text SMSPilot takes for an advertisement is refused with its reason."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "РЕКЛАМА: скидки"})
    assert err.value.translation_key == "message_refused"


async def test_refused_key_starts_reauth(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A key SMSPilot stops accepting fails the action and asks the user for a new key."""
    revoke_key(emulator)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_key == "auth_failed"
    assert err.value.translation_placeholders == {"account": "SMSPilot"}
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ("http_500", "connection_failed"),
        ("drop_connection", "connection_failed"),
        ("non_json", "unexpected_response"),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_connection_faults(
    hass: HomeAssistant, emulator: Emulator, fault: str, key: str
) -> None:
    """A send that fails on the way is reported, and is not retried (it may have gone out)."""
    emulator.set_fault(fault)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_key == key
    assert len(sends(emulator)) == 1


@pytest.mark.parametrize(
    ("error", "key", "placeholders"),
    [
        (
            SmsPilotSpamProtectionError(
                "x", code=227, description="Spam protection", description_ru="Защита от спама"
            ),
            "spam_protection",
            {"error": "Spam protection (227)"},
        ),
        (
            SmsPilotError("x", code=117, description="", description_ru="Ограничение"),
            "request_failed",
            {"error": "Ограничение (117)"},
        ),
        (SmsPilotError("x"), "request_failed", {"error": ""}),
        (SmsPilotError("x", code=999), "request_failed", {"error": "999"}),
        (
            SmsPilotInvalidInputError("x", field="phone", code=111, description="Invalid phone"),
            "phone_refused",
            {"phone": PHONE, "error": "Invalid phone (111)"},
        ),
        (
            SmsPilotInvalidInputError(
                "x",
                field="phone",
                code=215,
                description="Invalid phone length",
                details={"phone": OTHER_PHONE},
            ),
            "phone_refused",
            {"phone": OTHER_PHONE, "error": "Invalid phone length (215)"},
        ),
        (
            SmsPilotInvalidInputError("x", field="send_datetime", code=250, description="Bad"),
            "send_time_refused",
            {"error": "Bad (250)"},
        ),
        (
            SmsPilotInvalidInputError("x", field="ttl", code=270, description="Bad"),
            "ttl_refused",
            {"error": "Bad (270)"},
        ),
        (
            SmsPilotInvalidInputError("x", field="callback", code=260, description="Bad"),
            "callback_refused",
            {"error": "Bad (260)"},
        ),
        (
            SmsPilotInvalidInputError("x", field=None, code=10, description="Input required"),
            "input_refused",
            {"error": "Input required (10)"},
        ),
        (SmsPilotResponseError("x"), "unexpected_response", None),
    ],
)
async def test_errors_the_emulator_cannot_make(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    error: SmsPilotError,
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """Every other client error becomes a translated error naming SMSPilot's reason."""
    with (
        patch.object(SmsPilotClient, "send_sms", autospec=True, side_effect=error),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders


# Choosing the account


async def test_actions_outlive_the_account(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """The actions stay registered after unload and then explain that no account is loaded."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(DOMAIN, "send_sms")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_key == "no_account_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "send_sms",
            {"to": PHONE, "message": "Hi", "config_entry_id": init_integration.entry_id},
        )
    assert err.value.translation_key == "account_not_loaded"
    assert err.value.translation_placeholders == {"account": "SMSPilot"}
    assert sends(emulator) == []


@pytest.mark.usefixtures("init_integration")
async def test_two_accounts_need_a_choice(hass: HomeAssistant, emulator: Emulator) -> None:
    """With two accounts loaded the call must name one; the named one sends."""
    second = await add_second_account(hass, emulator)
    assert second.state is ConfigEntryState.LOADED
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.value.translation_key == "account_not_chosen"
    assert err.value.translation_placeholders == {"accounts": "SMSPilot, Second"}
    assert sends(emulator) == []

    response = await call(
        hass, "send_sms", {"to": PHONE, "message": "Hi", "config_entry_id": second.entry_id}
    )
    [request] = sends(emulator)
    assert request.params["apikey"] == SECOND_KEY
    assert response["balance"] == pytest.approx(48.69)


@pytest.mark.usefixtures("init_integration")
async def test_unknown_account(hass: HomeAssistant, emulator: Emulator) -> None:
    """An id that is no SMSPilot account is refused, also the id of another integration."""
    other = MockConfigEntry(domain="group")
    other.add_to_hass(hass)
    for entry_id in ("nope", other.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, "send_sms", {"to": PHONE, "message": "Hi", "config_entry_id": entry_id}
            )
        assert err.value.translation_key == "account_not_found"
        assert err.value.translation_placeholders == {"config_entry_id": entry_id}
    assert sends(emulator) == []


@pytest.mark.usefixtures("init_integration")
async def test_explicit_account_while_another_is_not_loaded(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A loaded account named explicitly works; the only loaded one is used without a name."""
    second = await add_second_account(hass, emulator, load=False)
    assert second.state is ConfigEntryState.NOT_LOADED
    await call(hass, "check_number", {"to": PHONE}, response=False)
    assert sends(emulator)[0].params["apikey"] == DEMO_API_KEY


# Messages the user reads


@pytest.mark.usefixtures("init_integration")
async def test_errors_read_well(hass: HomeAssistant, emulator: Emulator) -> None:
    """The translated texts are filled in (the user sees these in the UI)."""
    emulator.accounts[DEMO_API_KEY].balance = Decimal("0")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    # Home Assistant drops the final full stop of some versions' texts.
    assert str(err.value).rstrip(".") == (
        "There is not enough money on the account SMSPilot. "
        "Top up the SMSPilot balance and try again"
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_sms", {"to": "12", "message": "Hi"})
    assert str(err.value).rstrip(".") == '"12" is not a valid phone number'


async def test_sending_is_logged_without_content(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Debug logs say what was sent, never the text or the numbers."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smspilot")
    await call(hass, "send_sms", {"to": PHONE, "message": "secret text"})
    assert "Sending sms to 1 recipient(s)" in caplog.text
    assert "secret text" not in caplog.text
    assert DEMO_API_KEY not in caplog.text


def test_action_descriptions() -> None:
    """Every action and field in services.yaml has a name and description in English and Russian."""
    services = load_yaml_dict(str(INTEGRATION_DIR / "services.yaml"))
    assert set(services) == {
        "send_sms",
        "send_voice",
        "flash_call",
        "check_number",
        "check_status",
        "estimate_cost",
    }
    assert set(services["send_sms"]["fields"]) == {
        "config_entry_id",
        "to",
        "message",
        "sender",
        "send_at",
        "ttl",
        "test",
    }
    assert services["estimate_cost"]["fields"]["config_entry_id"]["selector"] == {
        "config_entry": {"integration": DOMAIN}
    }
    for language in ("en", "ru"):
        translations = json.loads(
            (INTEGRATION_DIR / "translations" / f"{language}.json").read_text(encoding="utf-8")
        )
        for service, description in services.items():
            translated = translations["services"][service]
            assert translated["name"]
            assert translated["description"]
            assert set(translated["fields"]) == set(description["fields"])
            assert all(
                field["name"] and field["description"] for field in translated["fields"].values()
            )
        options = translations["selector"]["check_method"]["options"]
        assert set(options) == set(
            services["check_number"]["fields"]["method"]["selector"]["select"]["options"]
        )
