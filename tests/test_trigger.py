"""Tests for the automation triggers `smspilot.sms_received` and `smspilot.message_status`.

Real automations use them; SMS come through the webhook, statuses through the emulator's
callbacks. Home Assistant 2026 attaches them as trigger classes (and its editor lists them);
2025.4 through the legacy trigger-platform protocol, with the same YAML.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.trigger import async_validate_trigger_config
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from custom_components.smspilot import trigger
from custom_components.smspilot.compat import vol
from custom_components.smspilot.const import DOMAIN, EVENT_SMS_RECEIVED
from smspilot_emulator import Emulator

from .inbound_helpers import inbound_form, post_form, serve_http, setup_account, webhook_path

INTEGRATION_DIR = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN
FIRED = "smspilot_test_trigger_fired"
PHONE = "79087964781"
OTHER_PHONE = "79161234567"
UNDELIVERABLE = "79000000000"

type Start = Callable[[list[dict[str, Any]]], Awaitable[tuple[MockConfigEntry, TestClient]]]


def _automation(alias: str, trigger_config: dict[str, Any]) -> dict[str, Any]:
    """Return an automation that fires FIRED with the trigger's variables."""
    return {
        "alias": alias,
        "triggers": [trigger_config],
        "actions": [
            {
                "event": FIRED,
                # The variables as a template sees them (the bus event as its data).
                "event_data": {
                    "automation": alias,
                    "trigger": "{{ dict(trigger, event=trigger.event.data) }}",
                },
            }
        ],
    }


@pytest.fixture
def fired(hass: HomeAssistant) -> list[Event[dict[str, Any]]]:
    """Capture what the automations under test did."""
    return async_capture_events(hass, FIRED)


@pytest.fixture
def start(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> Start:
    """Return a starter: the demo account, then the automations, then HTTP (in that order)."""

    async def go(automations: list[dict[str, Any]]) -> tuple[MockConfigEntry, TestClient]:
        entry = await setup_account(hass, mock_config_entry)
        assert await async_setup_component(hass, "automation", {"automation": automations})
        await hass.async_block_till_done()
        states = hass.states.async_all("automation")
        assert [state.state for state in states] == ["on"] * len(automations), states
        return entry, await serve_http(hass, hass_client_no_auth)

    return go


async def _sms(
    hass: HomeAssistant,
    client: TestClient,
    entry: MockConfigEntry,
    sms_id: int,
    phone: str,
    text: str,
) -> None:
    """Deliver one inbound SMS through the webhook, as SMSPilot does, and let automations run."""
    form = inbound_form(sms_id, phone=phone, message=text)
    assert await post_form(client, webhook_path(entry), form) == 200
    await hass.async_block_till_done(wait_background_tasks=True)


def _runs(fired: list[Event[dict[str, Any]]], alias: str | None = None) -> list[dict[str, Any]]:
    """Return the trigger variables of each run (of one automation, when named)."""
    return [
        event.data["trigger"]
        for event in fired
        if alias is None or event.data["automation"] == alias
    ]


async def test_sms_from_a_phone(
    hass: HomeAssistant, start: Start, fired: list[Event[dict[str, Any]]]
) -> None:
    """A phone in any notation matches that sender only; the variables carry the SMS."""
    automation = _automation(
        "gate",
        {
            "trigger": "smspilot.sms_received",
            "id": "gate",
            "options": {"phone": "8 (908) 796-47-81"},
        },
    )
    # `trigger.id` stays the trigger's own id: a trigger condition still works.
    automation["conditions"] = [{"condition": "trigger", "id": "gate"}]
    entry, client = await start([automation])

    await _sms(hass, client, entry, 1, OTHER_PHONE, "open")
    assert fired == []
    await _sms(hass, client, entry, 2, PHONE, "Open")
    await _sms(hass, client, entry, 3, "9087964781", "open")  # ten digits, no country code
    runs = _runs(fired)
    assert [run["sms_id"] for run in runs] == [2, 3]
    first = runs[0]
    assert first["platform"] == "smspilot.sms_received"
    assert first["id"] == "gate"
    assert first["config_entry_id"] == entry.entry_id
    assert first["phone"] == PHONE
    assert first["message"] == "Open"
    assert first["num"] == "79533984570"
    assert first["received_at"]
    assert first["description"] == f"SMS from {PHONE}"
    # The bus event is there too, as with an event trigger.
    assert first["event"]["id"] == 2


@pytest.mark.parametrize(
    ("match", "text", "messages"),
    [
        ("equals", " Open ", {"  OPEN ": True, "open": True, "open the gate": False, "": False}),
        (
            "starts_with",
            "open",
            {"Open the gate": True, " OPEN": True, "please open": False, "ope": False},
        ),
        (
            "contains",
            "Gate",
            {
                "open the GATE now": True,
                "gate.": True,
                "Ворота gate": True,
                "gateway": False,
                "tailgate": False,
            },
        ),
        ("contains", "жди", {"Гаврош, ЖДИ меня": True, "ждите": False}),
    ],
)
async def test_sms_text_match(
    hass: HomeAssistant,
    start: Start,
    fired: list[Event[dict[str, Any]]],
    match: str,
    text: str,
    messages: dict[str, bool],
) -> None:
    """Equals, starts with and contains-a-word ignore letter case and spaces around."""
    options = {"text": text, "match": match}
    entry, client = await start(
        [_automation("text", {"trigger": "smspilot.sms_received", "options": options})]
    )
    for sms_id, message in enumerate(messages, start=1):
        await _sms(hass, client, entry, sms_id, PHONE, message)
    assert [run["message"] for run in _runs(fired)] == [
        message for message, expected in messages.items() if expected
    ]


async def test_sms_for_one_account(
    hass: HomeAssistant,
    start: Start,
    fired: list[Event[dict[str, Any]]],
    mock_config_entry: MockConfigEntry,
) -> None:
    """With an account chosen, SMS to other accounts are ignored; without one, all count."""
    entry, client = await start(
        [
            _automation(
                "mine",
                {
                    "trigger": "smspilot.sms_received",
                    "options": {"config_entry_id": mock_config_entry.entry_id},
                },
            ),
            _automation(
                "other",
                {"trigger": "smspilot.sms_received", "options": {"config_entry_id": "other-entry"}},
            ),
            _automation("any", {"trigger": "smspilot.sms_received"}),
        ]
    )
    await _sms(hass, client, entry, 1, PHONE, "hello")
    assert sorted(event.data["automation"] for event in fired) == ["any", "mine"]

    hass.bus.async_fire(
        EVENT_SMS_RECEIVED,
        {"config_entry_id": "other-entry", "id": 7, "phone": PHONE, "message": "hi", "num": "1"},
    )
    await hass.async_block_till_done()
    assert [run["sms_id"] for run in _runs(fired, "other")] == [7]
    assert len(_runs(fired, "any")) == 2

    # Turned off, an automation stops listening to the bus.
    listeners = hass.bus.async_listeners()[EVENT_SMS_RECEIVED]
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": "automation.any"}, blocking=True
    )
    assert hass.bus.async_listeners()[EVENT_SMS_RECEIVED] == listeners - 1


async def test_message_status(
    hass: HomeAssistant, start: Start, fired: list[Event[dict[str, Any]]], emulator: Emulator
) -> None:
    """Delivered fires when a send completes; not delivered for an undeliverable number."""
    emulator.status_delays = (3600.0, 7200.0)  # nothing moves until complete_all()
    status = "smspilot.message_status"
    entry, _client = await start(
        [
            _automation("delivered", {"trigger": status, "options": {"status": "delivered"}}),
            _automation("failed", {"trigger": status, "options": {"status": ["not_delivered"]}}),
            _automation(
                "other account",
                {
                    "trigger": status,
                    "options": {
                        "status": ["delivered", "not_delivered"],
                        "config_entry_id": "other-entry",
                    },
                },
            ),
        ]
    )
    response = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"to": [PHONE, UNDELIVERABLE], "message": "Door opened"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert fired == []  # accepted is no final status

    await emulator.complete_all()
    await hass.async_block_till_done(wait_background_tasks=True)
    [delivered] = _runs(fired, "delivered")
    [failed] = _runs(fired, "failed")
    assert _runs(fired, "other account") == []
    server_ids = {message["phone"]: message["server_id"] for message in response["messages"]}
    assert delivered["platform"] == status
    assert delivered["server_id"] == server_ids[PHONE]
    assert delivered["phone"] == PHONE
    assert delivered["status_name"] == "delivered"
    assert delivered["status"] == 2
    assert delivered["kind"] == "sms"
    assert delivered["final"] is True
    assert delivered["config_entry_id"] == entry.entry_id
    assert failed["server_id"] == server_ids[UNDELIVERABLE]
    assert failed["status_name"] == "not_delivered"
    assert failed["error_code"] == 604


@pytest.mark.parametrize(
    "config",
    [
        {"trigger": "smspilot.sms_received", "options": {"phone": "12"}},
        {"trigger": "smspilot.sms_received", "options": {"match": "regex", "text": "a"}},
        {"trigger": "smspilot.sms_received", "options": {"sender": PHONE}},
        {"trigger": "smspilot.message_status", "options": {"status": "accepted"}},
        {"trigger": "smspilot.message_status", "options": {"status": []}},
        {"trigger": "smspilot.message_status"},
        {"trigger": "smspilot.unknown"},
    ],
)
async def test_invalid_options_are_refused(hass: HomeAssistant, config: dict[str, Any]) -> None:
    """A bad phone, match, status or option name, or an unknown trigger, fails validation."""
    with pytest.raises(vol.Invalid):
        await async_validate_trigger_config(hass, cv.TRIGGER_SCHEMA(config))


async def test_options_are_normalised(hass: HomeAssistant) -> None:
    """The phone becomes international digits; blank fields count as not set."""
    [valid] = await async_validate_trigger_config(
        hass,
        cv.TRIGGER_SCHEMA(
            {
                "trigger": "smspilot.sms_received",
                "options": {"phone": "+7 908 796-47-81", "text": "  ", "config_entry_id": ""},
            }
        ),
    )
    assert valid["options"] == {"phone": PHONE, "match": "equals"}


async def test_legacy_protocol(hass: HomeAssistant) -> None:
    """The legacy functions (what 2025.4 uses) validate and attach the same triggers."""
    config = await trigger.async_validate_trigger_config(
        hass,
        {"platform": "smspilot.sms_received", "id": "t", "options": {"text": "open"}},
    )
    runs: list[dict[str, Any]] = []
    info: Any = {
        "domain": "test",
        "name": "test",
        "home_assistant_start": False,
        "variables": None,
        "trigger_data": {"id": "t", "idx": "0", "alias": None},
    }
    detach = await trigger.async_attach_trigger(
        hass,
        config,
        lambda variables, context=None: runs.append(variables),
        info,
    )
    for message in ("close", " OPEN "):
        hass.bus.async_fire(EVENT_SMS_RECEIVED, {"id": 1, "phone": PHONE, "message": message})
    await hass.async_block_till_done()
    detach()
    hass.bus.async_fire(EVENT_SMS_RECEIVED, {"id": 2, "phone": PHONE, "message": "open"})
    await hass.async_block_till_done()
    assert [run["trigger"]["message"] for run in runs] == [" OPEN "]
    assert runs[0]["trigger"]["platform"] == "smspilot.sms_received"
    assert runs[0]["trigger"]["id"] == "t"


def _triggers_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (INTEGRATION_DIR / "triggers.yaml").read_text(encoding="utf-8")
    )
    return data


SCHEMAS = {
    "sms_received": trigger._SMS_OPTIONS,
    "message_status": trigger._STATUS_OPTIONS,
}


def test_triggers_yaml_matches_the_options_schemas() -> None:
    """Each field of triggers.yaml is an option, required and defaulted as the schema says."""
    described = _triggers_yaml()
    assert set(described) == set(trigger.KINDS) == set(SCHEMAS)
    for key, schema in SCHEMAS.items():
        markers = {str(marker.schema): marker for marker in schema.schema}
        fields = described[key]["fields"]
        assert set(fields) == set(markers), key
        for name, field in fields.items():
            marker = markers[name]
            assert field["required"] is isinstance(marker, vol.Required), (key, name)
            if "default" in field and isinstance(marker, vol.Optional):
                assert marker.default() == field["default"], (key, name)
            for option in field["selector"].get("select", {}).get("options", []):
                schema({**({"status": option} if key == "message_status" else {name: option})})
    assert described["sms_received"]["fields"]["match"]["selector"]["select"]["options"] == [
        match.value for match in trigger.TextMatch
    ]
    status_options = described["message_status"]["fields"]["status"]["selector"]["select"]
    assert tuple(status_options["options"]) == trigger.STATUS_CHOICES


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_home_assistant_reads_the_trigger_translations(
    hass: HomeAssistant, language: str
) -> None:
    """The editor's "triggers" and "selector" translations load from the integration."""
    triggers = await async_get_translations(hass, language, "triggers", {DOMAIN})
    selectors = await async_get_translations(hass, language, "selector", {DOMAIN})
    prefix = f"component.{DOMAIN}"
    for key in trigger.KINDS:
        assert triggers[f"{prefix}.triggers.{key}.name"]
    assert selectors[f"{prefix}.selector.text_match.options.contains"]
    assert selectors[f"{prefix}.selector.message_status.options.not_delivered"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_triggers_are_translated(language: str) -> None:
    """Every trigger, field and select option has a name (and a description) in both languages."""
    translations = json.loads(
        (INTEGRATION_DIR / "translations" / f"{language}.json").read_text(encoding="utf-8")
    )
    icons = json.loads((INTEGRATION_DIR / "icons.json").read_text(encoding="utf-8"))
    for key, description in _triggers_yaml().items():
        translated = translations["triggers"][key]
        assert translated["name"]
        assert translated["description"]
        assert set(translated["fields"]) == set(description["fields"])
        assert all(f["name"] and f["description"] for f in translated["fields"].values())
        assert icons["triggers"][key]["trigger"].startswith("mdi:")
        for field in description["fields"].values():
            if (select := field["selector"].get("select")) is not None:
                options = translations["selector"][select["translation_key"]]["options"]
                assert set(options) == set(select["options"])
                assert all(options.values())


async def test_the_editor_lists_the_triggers(hass: HomeAssistant, start: Start) -> None:
    """On Home Assistant 2026 the trigger descriptions (what the editor reads) include both."""
    if not trigger.HAS_TRIGGER_CLASSES:
        pytest.skip("This Home Assistant has no integration triggers in the automation editor")
    from homeassistant.helpers.icon import async_get_icons
    from homeassistant.helpers.trigger import async_get_all_descriptions

    await start([_automation("any", {"trigger": "smspilot.sms_received"})])
    assert set(await trigger.async_get_triggers(hass)) == set(trigger.KINDS)
    icons = await async_get_icons(hass, "triggers", [DOMAIN])
    assert set(icons[DOMAIN]) == set(trigger.KINDS)
    descriptions = await async_get_all_descriptions(hass)
    described = _triggers_yaml()
    for key in trigger.KINDS:
        fields = descriptions[f"{DOMAIN}.{key}"]["fields"]  # selectors come normalised
        assert {name: set(field["selector"]) for name, field in fields.items()} == {
            name: set(field["selector"]) for name, field in described[key]["fields"].items()
        }


@pytest.mark.parametrize("readme", ["README.md", "README.ru.md"])
async def test_readme_examples_are_valid(hass: HomeAssistant, readme: str) -> None:
    """The README's trigger examples pass validation, one for each trigger."""
    text = (INTEGRATION_DIR.parent.parent / readme).read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]
    loaded = [yaml.safe_load(block) for block in blocks]
    examples = [
        trigger_config
        for data in loaded
        if isinstance(data, dict)
        for trigger_config in data.get("triggers", [])
        if str(trigger_config.get("trigger", "")).startswith(f"{DOMAIN}.")
    ]
    assert sorted(example["trigger"] for example in examples) == [
        "smspilot.message_status",
        "smspilot.sms_received",
    ]
    await async_validate_trigger_config(hass, cv.TRIGGER_SCHEMA(examples))
