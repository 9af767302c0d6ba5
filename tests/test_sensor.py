"""Tests for the SMSPilot account sensors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.smspilot.const import DOMAIN
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator
from tests.conftest import revoke_key

BALANCE = "sensor.smspilot_balance"
SMS_REMAINING = "sensor.smspilot_sms_remaining"
DEFAULT_SENDER = "sensor.smspilot_default_sender"


async def test_account_device_and_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The account appears as a service device with its balance in roubles."""
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, str(DEMO_USER_ID))}
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.name == "SMSPilot"
    assert device.manufacturer == "SMSPilot"

    state = hass.states.get(BALANCE)
    assert state is not None
    assert state.state == "2934.76"
    assert state.attributes["unit_of_measurement"] == "RUB"
    assert state.attributes["device_class"] == "monetary"
    entry = entity_registry.async_get(BALANCE)
    assert entry is not None
    assert entry.unique_id == f"{DEMO_USER_ID}_balance"
    assert entry.device_id == device.id

    sender = hass.states.get(DEFAULT_SENDER)
    assert sender is not None
    assert sender.state == "INFORM"


async def test_sms_count_is_disabled_by_default_and_costs_nothing(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The SMS count sensor exists disabled and makes no request while disabled."""
    entry = entity_registry.async_get(SMS_REMAINING)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(SMS_REMAINING) is None
    assert not any("balance" in r.params for r in emulator.requests)


async def test_sms_count_when_enabled(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """An enabled SMS count sensor shows SMSPilot's estimate."""
    mock_config_entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{DEMO_USER_ID}_sms_remaining",
        config_entry=mock_config_entry,
        suggested_object_id="smspilot_sms_remaining",
        disabled_by=None,
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(SMS_REMAINING)
    assert state is not None
    expected = int(Decimal("2934.76") / Decimal("1.31"))
    assert int(state.state) == expected
    assert [r.params.get("balance") for r in emulator.requests if "balance" in r.params] == ["sms"]


async def test_balance_follows_the_account(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A changed balance shows up at the next poll."""
    emulator.accounts[DEMO_API_KEY].balance = Decimal("100.50")
    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == "100.50"


@pytest.mark.parametrize("fault", ["http_500", "non_json", "drop_connection"])
async def test_failed_poll_makes_sensors_unavailable_then_recovers(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """A failing poll marks entities unavailable, logs once, and they return with SMSPilot."""
    emulator.set_fault(fault)
    for _ in range(3):
        freezer.tick(timedelta(minutes=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "smspilot" in r.name]
    assert len(errors) == 1

    emulator.clear_faults()
    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == "2934.76"


async def test_rejected_key_during_polling_starts_reauth(
    hass: HomeAssistant,
    emulator: Emulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key that stops working mid-run asks the user for a new one."""
    revoke_key(emulator)
    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
