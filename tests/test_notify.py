"""Tests for notify.<account> and notify.<account>_voice, and the recipients' notify entities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN, SERVICE_SEND_MESSAGE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_API_KEY, CONF_NAME, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import discovery
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smspilot.const import (
    CHANNEL_SMS,
    CONF_API_URL,
    DOMAIN,
)
from smspilot_emulator import Emulator, FaultKind
from tests.recipient_helpers import DAD, KID, MOM, sends, with_family


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the demo account with two SMS recipients and one voice recipient."""
    return with_family(mock_config_entry)


async def notify(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    """Call a notify action and wait for it."""
    await hass.services.async_call(NOTIFY_DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("init_integration")
async def test_legacy_services_exist(hass: HomeAssistant) -> None:
    """The first account offers notify.smspilot and notify.smspilot_voice."""
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot")
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot_voice")


@pytest.mark.usefixtures("init_integration")
async def test_sms_to_one_number(hass: HomeAssistant, emulator: Emulator) -> None:
    """One target gets one SMS with the title on the first line."""
    await notify(
        hass,
        "smspilot",
        {"message": "Water leak in the kitchen", "title": "Home", "target": "79087964781"},
    )

    [request] = sends(emulator)
    assert request.params["to"] == "79087964781"
    assert request.params["send"] == "Home\nWater leak in the kitchen"
    assert request.params.get("from") != "GOLOS"


@pytest.mark.usefixtures("init_integration")
async def test_sms_to_many_numbers_is_one_request(hass: HomeAssistant, emulator: Emulator) -> None:
    """All targets of one call go out in one API request."""
    await notify(
        hass,
        "smspilot",
        {"message": "Door open", "target": ["79087964781", "+7 908 796-47-82", MOM]},
    )

    [request] = sends(emulator)
    assert request.params["to"].split(",") == ["79087964781", "79087964782", MOM]
    assert request.params["send"] == "Door open"


@pytest.mark.usefixtures("init_integration")
async def test_voice_call(hass: HomeAssistant, emulator: Emulator) -> None:
    """notify.smspilot_voice places a robot voice call."""
    await notify(
        hass,
        "smspilot_voice",
        {"message": "Smoke detected", "title": "Alarm", "target": ["79087964781", MOM]},
    )

    [request] = sends(emulator)
    assert request.params["from"] == "GOLOS"
    assert request.params["to"].split(",") == ["79087964781", MOM]
    assert request.params["send"] == "Alarm\nSmoke detected"


@pytest.mark.usefixtures("init_integration")
async def test_data_sender_send_at_ttl(hass: HomeAssistant, emulator: Emulator) -> None:
    """Sender, send time and TTL from `data` reach SMSPilot."""
    await notify(
        hass,
        "smspilot",
        {
            "message": "Later",
            "target": "79087964781",
            "data": {"sender": "test", "send_at": "2030-01-02 12:00:00+03:00", "ttl": "60"},
        },
    )

    [request] = sends(emulator)
    assert request.params["from"] == "test"
    assert request.params["send_datetime"] == "2030-01-02 09:00:00"
    assert request.params["ttl"] == "60"


@pytest.mark.usefixtures("init_integration")
async def test_send_at_without_zone_is_local_time(hass: HomeAssistant, emulator: Emulator) -> None:
    """A send time without a time zone is Home Assistant's local time."""
    await hass.config.async_set_time_zone("Europe/Moscow")

    await notify(
        hass,
        "smspilot",
        {"message": "Later", "target": "79087964781", "data": {"send_at": "2030-01-02 12:00"}},
    )

    [request] = sends(emulator)
    assert request.params["send_datetime"] == "2030-01-02 09:00:00"


@pytest.mark.usefixtures("init_integration")
async def test_data_keys_of_other_notifiers_are_ignored(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A notify group may pass keys for its other members; they do not stop the SMS."""
    await notify(
        hass,
        "smspilot",
        {"message": "Hi", "target": "79087964781", "data": {"push": {"sound": "alarm"}}},
    )

    [request] = sends(emulator)
    assert request.params["send"] == "Hi"
    assert "send_datetime" not in request.params


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    "data",
    [
        {"send_at": "tomorrow morning"},
        {"ttl": ["an hour"]},
        {"sender": ["a", "b"]},
    ],
)
async def test_bad_data_is_refused(
    hass: HomeAssistant, emulator: Emulator, data: dict[str, Any]
) -> None:
    """Unusable `data` is refused with a translated error before any request."""
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, "smspilot", {"message": "Hi", "target": "79087964781", "data": data})

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_notify_data"
    assert err.value.translation_placeholders["service"] == "notify.smspilot"
    assert str(err.value).startswith("Invalid data for notify.smspilot: ")
    assert sends(emulator) == []


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("ttl", [1.5, "1.5", "an hour", True])
async def test_ttl_must_be_whole_minutes(
    hass: HomeAssistant, emulator: Emulator, ttl: object
) -> None:
    """A lifetime that is not a whole number of minutes is refused, not cut to one."""
    with pytest.raises(ServiceValidationError) as err:
        await notify(
            hass, "smspilot", {"message": "Hi", "target": "79087964781", "data": {"ttl": ttl}}
        )
    assert err.value.translation_key == "ttl_not_whole"
    assert err.value.translation_placeholders == {"ttl": str(ttl)}
    assert sends(emulator) == []


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(("ttl", "sent"), [(60, "60"), (60.0, "60"), (" 90 ", "90")])
async def test_ttl_in_whole_minutes_is_sent(
    hass: HomeAssistant, emulator: Emulator, ttl: object, sent: str
) -> None:
    """Whole minutes, as a number or as digits, go out as they are."""
    await notify(hass, "smspilot", {"message": "Hi", "target": "79087964781", "data": {"ttl": ttl}})
    assert [request.params["ttl"] for request in sends(emulator)] == [sent]


@pytest.mark.usefixtures("init_integration")
async def test_without_target_sms_goes_to_sms_recipients(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without a target the SMS goes to every SMS recipient, in one request."""
    await notify(hass, "smspilot", {"message": "Dinner is ready"})

    [request] = sends(emulator)
    assert request.params["to"].split(",") == [MOM, KID]
    assert request.params.get("from") != "GOLOS"


@pytest.mark.usefixtures("init_integration")
async def test_without_target_call_goes_to_voice_recipients(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without a target the call goes to every voice recipient."""
    await notify(hass, "smspilot_voice", {"message": "Wake up"})

    [request] = sends(emulator)
    assert request.params["to"] == DAD
    assert request.params["from"] == "GOLOS"


async def test_without_target_and_recipients_is_refused(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Neither targets nor recipients: a translated error and no request."""
    for subentry_id in ("mom", "kid"):
        hass.config_entries.async_remove_subentry(init_integration, subentry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED

    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, "smspilot", {"message": "Anyone?"})

    assert err.value.translation_key == "no_recipients"
    assert err.value.translation_placeholders == {"service": "notify.smspilot"}
    assert str(err.value) == (
        "notify.smspilot needs a target: give phone numbers in target, "
        "or add recipients to the account"
    )
    assert sends(emulator) == []


@pytest.mark.usefixtures("init_integration")
async def test_sending_errors_reach_the_caller(hass: HomeAssistant, emulator: Emulator) -> None:
    """A failed send raises the messenger's translated error."""
    emulator.set_fault(FaultKind.HTTP_500)

    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, "smspilot", {"message": "Hi", "target": "79087964781"})

    assert err.value.translation_domain == DOMAIN


@pytest.mark.usefixtures("init_integration")
async def test_bad_number_is_refused_without_request(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The messenger's number check stops the send before any request."""
    with pytest.raises(ServiceValidationError):
        await notify(hass, "smspilot", {"message": "Hi", "target": ["79087964781", "12"]})

    assert sends(emulator) == []


async def test_services_follow_unload_and_reload(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """The services go away with the account and come back with it."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, "smspilot")
    assert not hass.services.has_service(NOTIFY_DOMAIN, "smspilot_voice")

    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot")
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot_voice")

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await notify(hass, "smspilot_voice", {"message": "Still here", "target": "79087964781"})
    [request] = sends(emulator)
    assert request.params["from"] == "GOLOS"


async def test_renamed_account_renames_services(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The services are named after the entry's title and follow a rename."""
    hass.config_entries.async_update_entry(init_integration, title="Dacha")
    await hass.async_block_till_done()

    assert hass.services.has_service(NOTIFY_DOMAIN, "dacha")
    assert hass.services.has_service(NOTIFY_DOMAIN, "dacha_voice")
    assert not hass.services.has_service(NOTIFY_DOMAIN, "smspilot")


async def test_second_account_with_a_taken_name(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An account whose services' names are taken gets none and leaves the others alone."""
    emulator.add_account("SECONDKEY", user_id=777)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id="777",
        data={
            CONF_API_KEY: "SECONDKEY",
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6",
        },
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert "notify.smspilot already exists" in caplog.text

    assert await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot")
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot_voice")


async def test_yaml_platform_is_not_supported(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """`notify: - platform: smspilot` in YAML makes no service; the account still gets its own."""
    assert await async_setup_component(
        hass, NOTIFY_DOMAIN, {NOTIFY_DOMAIN: [{"platform": DOMAIN, CONF_NAME: "yaml"}]}
    )
    await hass.async_block_till_done()
    assert "Failed to initialize notification service smspilot" in caplog.text
    assert not hass.services.has_service(NOTIFY_DOMAIN, "yaml")

    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "smspilot")


async def test_discovery_after_unload_makes_no_service(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A discovery that arrives after the account unloaded is ignored."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    await discovery.async_load_platform(
        hass,
        Platform.NOTIFY,
        DOMAIN,
        {CONF_NAME: "late", "entry_id": init_integration.entry_id, "channel": CHANNEL_SMS},
        {},
    )
    await hass.async_block_till_done()

    assert not hass.services.has_service(NOTIFY_DOMAIN, "late")


@pytest.mark.usefixtures("init_integration")
async def test_alert_sends_sms(hass: HomeAssistant, emulator: Emulator) -> None:
    """The alert integration reaches the SMS recipients through notify.smspilot."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"leak": {}}})
    assert await async_setup_component(
        hass,
        "alert",
        {
            "alert": {
                "water_leak": {
                    "name": "Water leak",
                    "entity_id": "input_boolean.leak",
                    "state": "on",
                    "repeat": 30,
                    "title": "Home",
                    "message": "Water under the sink",
                    "notifiers": ["smspilot"],
                }
            }
        },
    )
    await hass.async_block_till_done()
    assert sends(emulator) == []

    await hass.services.async_call(
        "input_boolean", "turn_on", {ATTR_ENTITY_ID: "input_boolean.leak"}, blocking=True
    )
    await hass.async_block_till_done()

    [request] = sends(emulator)
    assert request.params["to"].split(",") == [MOM, KID]
    assert request.params["send"] == "Home\nWater under the sink"

    # The leak is fixed: the alert stops (and cancels its repeat timer).
    await hass.services.async_call(
        "input_boolean", "turn_off", {ATTR_ENTITY_ID: "input_boolean.leak"}, blocking=True
    )
    await hass.async_block_till_done()
    assert len(sends(emulator)) == 1


@pytest.mark.usefixtures("init_integration")
async def test_recipient_entities(hass: HomeAssistant) -> None:
    """Each recipient is a notify entity named after it."""
    for entity_id, name in (("notify.mom", "Mom"), ("notify.dad", "Dad"), ("notify.kid", "Kid")):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.name == name


@pytest.mark.usefixtures("init_integration")
async def test_send_message_to_sms_recipient(hass: HomeAssistant, emulator: Emulator) -> None:
    """notify.send_message to an SMS recipient sends one SMS to its phone."""
    await notify(
        hass,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.mom", "message": "Call me", "title": "Son"},
    )

    [request] = sends(emulator)
    assert request.params["to"] == MOM
    assert request.params["send"] == "Son\nCall me"
    assert request.params.get("from") != "GOLOS"
    state = hass.states.get("notify.mom")
    assert state is not None
    assert datetime.fromisoformat(state.state) <= datetime.now(UTC)


@pytest.mark.usefixtures("init_integration")
async def test_send_message_to_voice_recipient(hass: HomeAssistant, emulator: Emulator) -> None:
    """notify.send_message to a voice recipient calls its phone."""
    await notify(hass, SERVICE_SEND_MESSAGE, {ATTR_ENTITY_ID: "notify.dad", "message": "Gate"})

    [request] = sends(emulator)
    assert request.params["to"] == DAD
    assert request.params["from"] == "GOLOS"
    assert request.params["send"] == "Gate"


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_error_translations(hass: HomeAssistant, language: str) -> None:
    """The notify errors have texts in English and Russian, with their placeholders."""
    translations = await async_get_translations(hass, language, "exceptions", [DOMAIN])

    for key, placeholders in (
        ("no_recipients", ["{service}"]),
        ("invalid_notify_data", ["{service}", "{error}"]),
    ):
        message = translations[f"component.{DOMAIN}.exceptions.{key}.message"]
        assert all(placeholder in message for placeholder in placeholders)
