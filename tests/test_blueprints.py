"""Tests for the automation blueprints, loaded and run by Home Assistant's blueprint machinery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
import shutil
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from custom_components.smspilot.const import ACCOUNT_SCAN_INTERVAL
from smspilot_emulator import DEMO_API_KEY, Emulator

from .inbound_helpers import (
    entity_id,
    inbound_form,
    post_form,
    serve_http,
    setup_account,
    webhook_path,
)

REPOSITORY = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPOSITORY / "blueprints" / "automation" / "smspilot"
SOURCE_URL = "https://github.com/smspilot-ha/home-assistant-smspilot/blob/main/"


@pytest.fixture(autouse=True)
def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    """Install the repository's blueprints the way an import by URL would."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints/automation/smspilot"))
    target.mkdir(parents=True)
    for blueprint in BLUEPRINTS.glob("*.yaml"):
        shutil.copy(blueprint, target)


async def _automation(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint with the given inputs."""
    config = {"automation": {"id": "under_test", "use_blueprint": {"path": path, "input": inputs}}}
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    states = hass.states.async_all("automation")
    assert [state.state for state in states] == ["on"], states


def _yaml(path: Path) -> dict[str, Any]:
    """Read a blueprint file, treating !input tags as plain strings."""

    class Loader(yaml.SafeLoader):
        """A safe loader that knows Home Assistant's !input tag."""

    Loader.add_constructor("!input", lambda loader, node: loader.construct_scalar(node))
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    return data


@pytest.mark.parametrize("name", ["sms_command.yaml", "low_balance.yaml"])
async def test_blueprints_are_valid_and_importable(hass: HomeAssistant, name: str) -> None:
    """Each blueprint passes the automation schema and names its own address for import."""
    assert await async_setup_component(hass, "automation", {})
    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"smspilot/{name}")
    assert blueprint.domain == "automation"
    metadata = _yaml(BLUEPRINTS / name)["blueprint"]
    assert metadata["source_url"] == f"{SOURCE_URL}blueprints/automation/smspilot/{name}"
    assert metadata["homeassistant"]["min_version"] == "2025.4.0"


type Start = Callable[
    [str, Callable[[HomeAssistant], dict[str, Any]]], Awaitable[tuple[MockConfigEntry, TestClient]]
]


@pytest.fixture
def start(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> Start:
    """Return a starter: the demo account, then the automation, then HTTP (in that order)."""

    async def go(
        path: str, inputs: Callable[[HomeAssistant], dict[str, Any]]
    ) -> tuple[MockConfigEntry, TestClient]:
        entry = await setup_account(hass, mock_config_entry)
        await _automation(hass, path, inputs(hass))
        return entry, await serve_http(hass, hass_client_no_auth)

    return go


async def _sms(
    client: TestClient, entry: MockConfigEntry, sms_id: int, phone: str, text: str
) -> None:
    """Deliver one inbound SMS through the webhook, as SMSPilot does."""
    assert (
        await post_form(
            client, webhook_path(entry), inbound_form(sms_id, phone=phone, message=text)
        )
        == 200
    )


async def test_sms_command_runs_for_allowed_phones_only(hass: HomeAssistant, start: Start) -> None:
    """'open' from an allowed phone runs the action; strangers and other words do nothing."""
    calls = async_mock_service(hass, "test", "open_gate")
    entry, client = await start(
        "smspilot/sms_command.yaml",
        lambda hass: {
            "allowed_senders": ["+7 (908) 796-47-81", "8 916 123-45-67"],
            "keyword": " Open ",
            "actions": [
                {
                    "action": "test.open_gate",
                    "data": {"sms_id": "{{ trigger.event.data.id }}"},
                }
            ],
        },
    )
    await _sms(client, entry, 1, "79087964781", "  OPEN ")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.data["sms_id"] for call in calls] == [1]

    await _sms(client, entry, 2, "79990001122", "open")  # a stranger
    await _sms(client, entry, 3, "79087964781", "open the gate")  # not the command
    await _sms(client, entry, 4, "79087964781", "")  # empty SMS
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(calls) == 1

    await _sms(client, entry, 5, "+79161234567", "open")  # written as 8 916 … in the list
    await _sms(client, entry, 6, "9087964781", "Open")  # ten digits, no country code
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.data["sms_id"] for call in calls] == [1, 5, 6]


async def test_sms_command_with_no_allowed_phone_runs_nothing(
    hass: HomeAssistant, start: Start
) -> None:
    """An empty list of phones allows nobody."""
    calls = async_mock_service(hass, "test", "open_gate")
    entry, client = await start(
        "smspilot/sms_command.yaml",
        lambda hass: {
            "allowed_senders": [],
            "keyword": "open",
            "actions": [{"action": "test.open_gate"}],
        },
    )
    await _sms(client, entry, 1, "79087964781", "open")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls == []


async def test_sms_command_with_an_empty_command_runs_nothing(
    hass: HomeAssistant, start: Start
) -> None:
    """A blank command matches no SMS, not even an empty one from an allowed phone."""
    calls = async_mock_service(hass, "test", "open_gate")
    entry, client = await start(
        "smspilot/sms_command.yaml",
        lambda hass: {
            "allowed_senders": ["+7 908 796-47-81"],
            "keyword": "  ",
            "actions": [{"action": "test.open_gate"}],
        },
    )
    await _sms(client, entry, 1, "79087964781", "open")
    await _sms(client, entry, 2, "79087964781", "")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls == []


async def test_sms_command_for_one_account(hass: HomeAssistant, start: Start) -> None:
    """Limited to an account, the automation ignores the same SMS to other accounts."""
    calls = async_mock_service(hass, "test", "open_gate")
    entry, client = await start(
        "smspilot/sms_command.yaml",
        lambda hass: {
            "allowed_senders": ["79087964781"],
            "keyword": "open",
            "account": "another-entry-id",
            "actions": [{"action": "test.open_gate"}],
        },
    )
    await _sms(client, entry, 1, "79087964781", "open")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls == []
    hass.bus.async_fire(
        "smspilot_sms_received",
        {"config_entry_id": "another-entry-id", "phone": "79087964781", "message": "open"},
    )
    await hass.async_block_till_done()
    assert len(calls) == 1


async def test_low_balance_alert(
    hass: HomeAssistant,
    emulator: Emulator,
    start: Start,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A balance falling below the threshold texts the phones and runs the other actions."""
    calls: list[ServiceCall] = async_mock_service(hass, "test", "balance_low")
    await start(
        "smspilot/low_balance.yaml",
        lambda hass: {
            "balance_sensor": entity_id(hass, "sensor", "balance"),
            "threshold": 100,
            "phones": ["+7 916 123-45-67"],
            "actions": [{"action": "test.balance_low", "data": {"balance": "{{ balance }}"}}],
        },
    )
    sent_before = [r for r in emulator.requests if "send" in r.params]
    emulator.accounts[DEMO_API_KEY].balance = Decimal("42.00")
    freezer.tick(ACCOUNT_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    sent = [r for r in emulator.requests if "send" in r.params][len(sent_before) :]
    assert len(sent) == 1
    assert sent[0].params["to"] == "79161234567"
    assert sent[0].params["send"].startswith("SMSPilot balance is low: 42")
    assert sent[0].params["send"].endswith(" RUB")
    assert len(calls) == 1
    assert float(calls[0].data["balance"]) == 42


async def test_low_balance_alert_without_phones(
    hass: HomeAssistant,
    emulator: Emulator,
    start: Start,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without phones only the other actions run; nothing is sent through SMSPilot."""
    calls = async_mock_service(hass, "notify", "phone")
    await start(
        "smspilot/low_balance.yaml",
        lambda hass: {
            "balance_sensor": entity_id(hass, "sensor", "balance"),
            "threshold": 500,
            "actions": [{"action": "notify.phone", "data": {"message": "Top up SMSPilot"}}],
        },
    )
    emulator.accounts[DEMO_API_KEY].balance = Decimal("420.00")
    freezer.tick(ACCOUNT_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.data["message"] for call in calls] == ["Top up SMSPilot"]
    assert not any("send" in r.params for r in emulator.requests)
