"""An account's life: reloads, recipients, its notify actions, inbound memory and sends.

Everything goes through Home Assistant's front doors (flows, reloads, service calls, the
webhook) and is checked at the emulator, in the registries and in the stored files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from datetime import timedelta
import logging
import random
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN, SERVICE_SEND_MESSAGE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.components.webhook import async_handle_webhook
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_NAME,
    CONF_WEBHOOK_ID,
    EVENT_HOMEASSISTANT_FINAL_WRITE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceNotFound, ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.const import (
    ACCOUNT_SCAN_INTERVAL,
    CHANNEL_SMS,
    CHANNEL_VOICE,
    CONF_API_URL,
    CONF_CHANNEL,
    CONF_DEFAULT_SENDER,
    CONF_PHONE,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    EVENT_SMS_RECEIVED,
    INBOUND_POLL_INTERVAL,
    SUBENTRY_RECIPIENT,
)
from custom_components.smspilot.legacy_notify import DATA_LEGACY_NOTIFY
from custom_components.smspilot.mailbox_store import TOMBSTONE_KEY
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator, RecordedRequest

from .conftest import WEBHOOK_ID, user_info_requests
from .inbound_helpers import entity_id, serve_http, setup_account
from .restart_helpers import home_assistant_life

PHONE = "79087964781"
MOM = "79161111111"
MOM_NEW = "79163333333"
LEGACY = ("smspilot", "smspilot_voice")
WEBHOOK_HANDLERS = "webhook"  # homeassistant.components.webhook keeps its handlers here


@pytest.fixture(autouse=True)
def point_new_accounts_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the config flow's default API address the emulator's."""
    monkeypatch.setenv("SMSPILOT_API_URL", emulator.api_url)


def sends(emulator: Emulator) -> list[RecordedRequest]:
    """Return the emulator's requests that sent something."""
    return [request for request in emulator.requests if "send" in request.params]


async def until_sent(emulator: Emulator) -> None:
    """Wait until a send request has reached the emulator (it may still be answering)."""
    for _ in range(1000):
        if sends(emulator):
            return
        await asyncio.sleep(0.01)
    pytest.fail("no send request reached the emulator")


def inbound_requests(emulator: Emulator) -> list[str]:
    """Return the `inbound` parameter of every mailbox request, oldest first."""
    return [r.params["inbound"] for r in emulator.requests if "inbound" in r.params]


def our_notify_actions(hass: HomeAssistant) -> set[str]:
    """Return the notify actions that carry an SMSPilot account's name."""
    return {
        name
        for name in hass.services.async_services_for_domain(NOTIFY_DOMAIN)
        if name.startswith(("smspilot", "home"))
    }


async def flush_delayed_writes(hass: HomeAssistant) -> None:
    """Let every delayed storage write (ours: 2 s, the registries': 10 s) happen now."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    await hass.async_block_till_done(wait_background_tasks=True)


def bus_listeners(hass: HomeAssistant) -> dict[str, int]:
    """Count the bus listeners by event, leaving out the final writes of delayed saves."""
    return {
        str(event): count
        for event, count in hass.bus.async_listeners().items()
        if event != EVENT_HOMEASSISTANT_FINAL_WRITE
    }


@contextmanager
def counting_reloads(hass: HomeAssistant) -> Iterator[list[str]]:
    """Count the reloads Home Assistant starts (flows schedule them through async_reload)."""
    reloads: list[str] = []
    original = hass.config_entries.async_reload

    async def reload(entry_id: str) -> bool:
        reloads.append(entry_id)
        return await original(entry_id)

    with patch.object(hass.config_entries, "async_reload", reload):
        yield reloads


async def add_account_through_flow(hass: HomeAssistant) -> ConfigEntry[Any]:
    """Add the demo account the way a user does, and wait until it is loaded."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] in ("inbound", "inbound_no_url")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


# 1. No update listener: each change is applied exactly once, reloading only when it must.


async def test_options_change_reloads_once_and_sets_the_sender(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Saved options reload the account once; the sensor then shows the chosen sender."""
    assert not init_integration.update_listeners
    sensor = entity_id(hass, "sensor", "default_sender")
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "INFORM"
    before = len(user_info_requests(emulator))
    with counting_reloads(hass) as reloads:
        result = await hass.config_entries.options.async_init(init_integration.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_DEFAULT_SENDER: "test"}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert reloads == [init_integration.entry_id]
    assert len(user_info_requests(emulator)) == before + 1
    assert init_integration.state is ConfigEntryState.LOADED
    assert not init_integration.update_listeners
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "test"

    # The next SMS goes out with it.
    await hass.services.async_call(
        DOMAIN, "send_sms", {"to": PHONE, "message": "Hi"}, blocking=True
    )
    assert sends(emulator)[-1].params["from"] == "test"


@pytest.mark.parametrize("source", [SOURCE_REAUTH, SOURCE_RECONFIGURE])
async def test_reauth_and_reconfigure_reload_once(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry, source: str
) -> None:
    """A new key from reauth or reconfigure reloads the account exactly once."""
    before = len(user_info_requests(emulator))
    with counting_reloads(hass) as reloads:
        if source == SOURCE_REAUTH:
            result = await init_integration.start_reauth_flow(hass)
        else:
            result = await init_integration.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert reloads == [init_integration.entry_id]
    # The flow's key check, then the one set-up.
    assert len(user_info_requests(emulator)) == before + 2
    assert init_integration.state is ConfigEntryState.LOADED
    assert our_notify_actions(hass) == set(LEGACY)


def _recipient_entities(hass: HomeAssistant, entry: ConfigEntry[Any]) -> list[er.RegistryEntry]:
    """Return the account's notify entities (one per recipient)."""
    return [
        item
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if item.domain == NOTIFY_DOMAIN
    ]


async def _recipient_flow(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    user_input: dict[str, Any],
    subentry_id: str | None = None,
) -> dict[str, Any]:
    """Add a recipient, or edit one when `subentry_id` is given."""
    context: dict[str, Any] = {"source": SOURCE_USER}
    if subentry_id is not None:
        context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context=context
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(result)


async def _send_message(hass: HomeAssistant, entity: str, message: str) -> None:
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: entity, "message": message},
        blocking=True,
    )


async def test_recipients_change_without_reloads(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Adding, editing and removing a recipient reloads nothing and applies once."""
    entry = init_integration
    setups = len(user_info_requests(emulator))
    with counting_reloads(hass) as reloads:
        result = await _recipient_flow(
            hass, entry, {CONF_NAME: "Mom", CONF_PHONE: MOM, CONF_CHANNEL: CHANNEL_SMS}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        [subentry_id] = entry.subentries
        [entity] = _recipient_entities(hass, entry)
        assert entity.entity_id == "notify.mom"
        assert entity.config_subentry_id == subentry_id
        assert hass.states.get("notify.mom") is not None
        await _send_message(hass, "notify.mom", "one")
        assert [(r.params["to"], r.params["send"]) for r in sends(emulator)] == [(MOM, "one")]

        # A new phone is used by the next message.
        result = await _recipient_flow(
            hass,
            entry,
            {CONF_NAME: "Mom", CONF_PHONE: MOM_NEW, CONF_CHANNEL: CHANNEL_SMS},
            subentry_id,
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await _send_message(hass, "notify.mom", "two")
        assert [(r.params["to"], r.params["send"]) for r in sends(emulator)][-1] == (
            MOM_NEW,
            "two",
        )

        # A new name renames the recipient's device; the entity keeps its id.
        await _recipient_flow(
            hass,
            entry,
            {CONF_NAME: "Mother", CONF_PHONE: MOM_NEW, CONF_CHANNEL: CHANNEL_SMS},
            subentry_id,
        )
        [entity] = _recipient_entities(hass, entry)
        assert entity.entity_id == "notify.mom"
        assert entity.device_id is not None
        device = dr.async_get(hass).async_get(entity.device_id)
        assert device is not None
        assert device.name == "Mother"

        # A new channel: the next message is a robot call.
        await _recipient_flow(
            hass,
            entry,
            {CONF_NAME: "Mother", CONF_PHONE: MOM_NEW, CONF_CHANNEL: CHANNEL_VOICE},
            subentry_id,
        )
        await _send_message(hass, "notify.mom", "three")
        last = sends(emulator)[-1]
        assert (last.params["to"], last.params["send"], last.params["from"]) == (
            MOM_NEW,
            "three",
            "GOLOS",
        )
        # Each message was one request: the edits made no extra entities or listeners.
        assert len(sends(emulator)) == 3

        assert hass.config_entries.async_remove_subentry(entry, subentry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert not _recipient_entities(hass, entry)
        assert hass.states.get("notify.mom") is None
        assert dr.async_get(hass).async_get(device.id) is None

    assert reloads == []
    assert len(user_info_requests(emulator)) == setups
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.update_listeners
    assert our_notify_actions(hass) == set(LEGACY)


# 2. The legacy notify actions follow the entry.


async def test_legacy_notify_actions_follow_the_entry(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """notify.smspilot(_voice) exist exactly while the entry is loaded, under its name."""
    entry = init_integration
    owner = hass.data[DATA_LEGACY_NOTIFY]
    assert our_notify_actions(hass) == set(LEGACY)
    assert owner.names(entry.entry_id) == list(LEGACY)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set(LEGACY)
    assert owner.names(entry.entry_id) == list(LEGACY)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set()
    assert owner.names(entry.entry_id) == []
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set(LEGACY)

    await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert our_notify_actions(hass) == set()
    await hass.config_entries.async_set_disabled_by(entry.entry_id, None)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert our_notify_actions(hass) == set(LEGACY)

    # Renamed: the actions follow the new name, and still send through the account.
    hass.config_entries.async_update_entry(entry, title="Home")
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == {"home", "home_voice"}
    assert owner.names(entry.entry_id) == ["home", "home_voice"]
    await hass.services.async_call(
        NOTIFY_DOMAIN, "home", {"message": "renamed", "target": [PHONE]}, blocking=True
    )
    assert [r.params["send"] for r in sends(emulator)] == ["renamed"]

    # Renamed while unloaded: the next set-up uses the new name.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, title="SMSPilot")
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set(LEGACY)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert our_notify_actions(hass) == set()
    assert owner.names(entry.entry_id) == []


async def test_rename_while_the_actions_are_set_up_is_followed(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A rename that lands while a reload registers the notify actions still renames them."""
    entry = init_integration
    gate = asyncio.Event()
    waiting = asyncio.Event()
    original = BaseNotificationService.async_setup

    async def slow_setup(self: BaseNotificationService, *args: Any) -> None:
        waiting.set()
        await gate.wait()
        await original(self, *args)

    with patch.object(BaseNotificationService, "async_setup", slow_setup):
        reload = asyncio.create_task(hass.config_entries.async_reload(entry.entry_id))
        async with asyncio.timeout(10):
            await waiting.wait()
        hass.config_entries.async_update_entry(entry, title="Home")
        gate.set()
        async with asyncio.timeout(10):
            assert await reload
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert our_notify_actions(hass) == {"home", "home_voice"}
    assert hass.data[DATA_LEGACY_NOTIFY].names(entry.entry_id) == ["home", "home_voice"]


# The stress test: many operations, interleaved with notifications.

OPERATIONS = ("reload", "double_reload", "unload_setup", "disable_enable", "delete_readd")
MODES = ("alone", "op_first", "call_first")
# A seed whose plan has every operation in every mode (checked by the test).
STRESS_SEED = 20251005
STRESS_STEPS = 30


async def test_interleaved_operations_never_lose_or_double_anything(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reloads, unloads, disables and re-adds with notifications in between and alongside."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smspilot")
    assert await async_setup_component(hass, "webhook", {})
    rng = random.Random(STRESS_SEED)  # noqa: S311 - a reproducible plan, not a secret
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    entry = await add_account_through_flow(hass)
    await flush_delayed_writes(hass)
    listeners = bus_listeners(hass)
    deleted: list[ConfigEntry[Any]] = []
    known_ids = {entry.entry_id}
    succeeded = 0
    counter = 0

    async def notify() -> bool:
        """Call notify.smspilot once; False when it was refused because nothing was loaded."""
        nonlocal counter, succeeded
        counter += 1
        refusal: str | None = None
        try:
            await hass.services.async_call(
                NOTIFY_DOMAIN,
                "smspilot",
                {"message": f"message {counter}", "target": [PHONE]},
                blocking=True,
            )
        except ServiceNotFound:
            return False
        except ServiceValidationError as err:
            refusal = err.translation_key
        if refusal is not None:
            assert refusal == "account_not_loaded"
            return False
        succeeded += 1
        return True

    async def reload() -> None:
        assert await hass.config_entries.async_reload(entry.entry_id)

    async def double_reload() -> None:
        results = await asyncio.gather(
            hass.config_entries.async_reload(entry.entry_id),
            hass.config_entries.async_reload(entry.entry_id),
        )
        assert results == [True, True]

    async def unload_setup() -> None:
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert await hass.config_entries.async_setup(entry.entry_id)

    async def disable_enable() -> None:
        await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
        assert entry.state is ConfigEntryState.NOT_LOADED
        await hass.config_entries.async_set_disabled_by(entry.entry_id, None)

    async def delete_readd() -> None:
        nonlocal entry
        assert await hass.config_entries.async_remove(entry.entry_id)
        deleted.append(entry)
        entry = await add_account_through_flow(hass)
        known_ids.add(entry.entry_id)

    operations: dict[str, Callable[[], Awaitable[None]]] = {
        "reload": reload,
        "double_reload": double_reload,
        "unload_setup": unload_setup,
        "disable_enable": disable_enable,
        "delete_readd": delete_readd,
    }
    plan = [(rng.choice(OPERATIONS), rng.choice(MODES)) for _ in range(STRESS_STEPS)]
    # Every operation comes alone and with a call racing it from either side.
    assert set(plan) == {(name, mode) for name in OPERATIONS for mode in MODES}
    for name, mode in plan:
        sends_before = len(sends(emulator))
        if mode == "op_first":
            # The operation starts first: the call meets an entry going away (or back).
            _, sent = await asyncio.gather(operations[name](), notify())
        elif mode == "call_first":
            # The call starts first: its request is on the way when the entry goes.
            sent, _ = await asyncio.gather(notify(), operations[name]())
            # Already on its way, it finishes (and is tracked) through the old entry.
            assert sent
        else:
            await operations[name]()
            sent = False
        await hass.async_block_till_done(wait_background_tasks=True)
        # A racing call is refused or is one request, never more.
        assert len(sends(emulator)) == sends_before + int(sent)
        assert entry.state is ConfigEntryState.LOADED, name

        # Between operations a notification always works, through the loaded entry.
        sends_before = len(sends(emulator))
        statuses_before = len(statuses)
        assert await notify()
        [request] = sends(emulator)[sends_before:]
        assert (request.params["to"], request.params["send"]) == (PHONE, f"message {counter}")
        assert [event.data["config_entry_id"] for event in statuses[statuses_before:]] == [
            entry.entry_id
        ]

    # Every notification that returned was one request, and nothing else was sent.
    assert len(sends(emulator)) == succeeded
    assert {event.data["config_entry_id"] for event in statuses} <= known_ids
    assert len(statuses) == succeeded

    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    assert our_notify_actions(hass) == set(LEGACY)
    owner = hass.data[DATA_LEGACY_NOTIFY]
    assert owner.names(entry.entry_id) == list(LEGACY)
    assert all(owner.names(old.entry_id) == [] for old in deleted)
    assert set(hass.data[WEBHOOK_HANDLERS]) == {entry.data[CONF_WEBHOOK_ID]}
    await flush_delayed_writes(hass)
    assert bus_listeners(hass) == listeners
    for old in deleted:
        assert not [key for key in hass_storage if key.startswith(f"{DOMAIN}.{old.entry_id}.")]
    problems = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith("custom_components.smspilot")
        and record.levelno >= logging.WARNING
    ]
    assert problems == []


# 4. Inbound SMS: never doubled, never lost.


async def test_readded_account_neither_repeats_nor_loses_sms(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_storage: dict[str, Any],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Deleted and added again: the old SMS stays quiet, the one sent meanwhile comes once."""
    assert await async_setup_component(hass, "webhook", {})
    received = async_capture_events(hass, EVENT_SMS_RECEIVED)
    entry = await add_account_through_flow(hass)
    client = await serve_http(hass, hass_client_no_auth)
    assert entry.runtime_data.address.url is not None
    account = emulator.accounts[DEMO_API_KEY]
    account.inbound_webhook_url = str(
        client.make_url(f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}")
    )
    first = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "first")
    assert first.webhook_delivered is True
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in received] == [first.id]

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    tombstone = hass_storage[TOMBSTONE_KEY]["data"][str(DEMO_USER_ID)]
    assert first.id in tombstone["handled_ids"]
    assert tombstone["recover_since"] is not None
    assert not [key for key in hass_storage if key.startswith(f"{DOMAIN}.{entry.entry_id}.")]

    # No account in Home Assistant: SMSPilot keeps the SMS in its mailbox.
    account.inbound_webhook_url = None
    second = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "second")

    again = await add_account_through_flow(hass)
    assert again.entry_id != entry.entry_id
    assert [event.data["id"] for event in received] == [first.id, second.id]
    assert [event.data["config_entry_id"] for event in received] == [
        entry.entry_id,
        again.entry_id,
    ]
    # The memory moved to the new account; the tombstone is used up.
    assert str(DEMO_USER_ID) not in hass_storage.get(TOMBSTONE_KEY, {}).get("data", {})

    # SMSPilot retrying the old webhook call at the new address is still not news.
    form = f"phone={PHONE}&message=first&user_id={DEMO_USER_ID}&id={first.id}&num=79533984570"
    response = await async_handle_webhook(
        hass,
        again.data[CONF_WEBHOOK_ID],
        MockRequest(
            form.encode(),
            mock_source="test",
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    )
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in received] == [first.id, second.id]


RESTART_ENTRY_ID = "01JLIFECYCLE00000000000000"


def _life(
    config_dir: str,
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    *,
    external_url: str | None = None,
) -> AbstractAsyncContextManager[tuple[HomeAssistant, SmsPilotConfigEntry, TestClient]]:
    """Run one life of Home Assistant with the demo account (see restart_helpers)."""
    return home_assistant_life(
        config_dir, emulator, aiohttp_client, entry_id=RESTART_ENTRY_ID, external_url=external_url
    )


def _received_ids(hass: HomeAssistant) -> list[int]:
    return [event.data["id"] for event in hass.data["test_received"]]


def _inbound_memory(hass_storage: dict[str, Any]) -> dict[str, Any]:
    return hass_storage[f"{DOMAIN}.{RESTART_ENTRY_ID}.inbound"]["data"]


async def test_recovery_point_survives_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """A webhook account stopped by a restart fetches, after it, what came meanwhile."""
    config_dir = hass.config.config_dir
    external = "https://home.example.org"
    async with _life(config_dir, emulator, aiohttp_client, external_url=external) as (
        first,
        entry,
        client,
    ):
        assert not entry.runtime_data.mailbox.polling
        sms = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "before")
        form = {
            "phone": PHONE,
            "message": "before",
            "user_id": str(DEMO_USER_ID),
            "id": str(sms.id),
            "num": sms.num,
        }
        async with client.post(f"/api/webhook/{WEBHOOK_ID}", data=form) as answer:
            assert answer.status == 200
        await first.async_block_till_done(wait_background_tasks=True)
        assert _received_ids(first) == [sms.id]
    stopped_at = dt_util.utcnow()
    memory = _inbound_memory(hass_storage)
    assert sms.id in memory["handled_ids"]
    assert memory["recover_since"] is not None
    assert dt_util.parse_datetime(memory["recover_since"]) <= stopped_at

    # While Home Assistant is down an SMS arrives, and something else reads the mailbox.
    later = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "during")
    for record in emulator.accounts[DEMO_API_KEY].mailbox:
        record.seen = True
    requests_before = len(inbound_requests(emulator))

    async with _life(config_dir, emulator, aiohttp_client, external_url=external) as (
        second,
        _,
        _client,
    ):
        assert _received_ids(second) == [later.id]
        [asked] = inbound_requests(emulator)[requests_before:]
        assert asked != "new"


async def test_lost_mailbox_answer_is_recovered_after_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """SMS whose `inbound=new` answer was lost come once after the restart that followed."""
    config_dir = hass.config.config_dir
    async with _life(config_dir, emulator, aiohttp_client) as (first, entry, _client):
        assert entry.runtime_data.mailbox.polling
        assert inbound_requests(emulator) == ["new"]
        one = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "one")
        two = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "two")
        emulator.set_fault("drop_connection", 1)
        async_fire_time_changed(first, dt_util.utcnow() + INBOUND_POLL_INTERVAL)
        await first.async_block_till_done(wait_background_tasks=True)
        assert inbound_requests(emulator) == ["new", "new"]
        assert not emulator.faults
        # SMSPilot had marked them as seen before the answer was lost on the way.
        for record in emulator.accounts[DEMO_API_KEY].mailbox:
            record.seen = True
        assert _received_ids(first) == []
    assert _inbound_memory(hass_storage)["recover_since"] is not None

    async with _life(config_dir, emulator, aiohttp_client) as (second, _, _client):
        assert _received_ids(second) == [one.id, two.id]
        assert inbound_requests(emulator)[2] != "new"
        # Polling goes back to `inbound=new` and finds nothing more.
        async_fire_time_changed(second, dt_util.utcnow() + INBOUND_POLL_INTERVAL)
        await second.async_block_till_done(wait_background_tasks=True)
        assert inbound_requests(emulator)[3:] == ["new"]
        assert _received_ids(second) == [one.id, two.id]


# 5. A status callback may overtake the answer of its own send.


async def test_early_status_callback_is_applied_once_the_send_is_tracked(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A callback for a message whose send has not answered yet waits for it, then applies."""
    entry = await setup_account(hass, mock_config_entry)
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    server_id = emulator.store.next_server_id
    emulator.set_fault("latency", 1, seconds=1.0)
    send = asyncio.create_task(
        hass.services.async_call(
            DOMAIN, "send_sms", {"to": PHONE, "message": "Gate"}, blocking=True
        )
    )
    await until_sent(emulator)
    response = await async_handle_webhook(
        hass,
        entry.data[CONF_WEBHOOK_ID],
        MockRequest(
            b"", mock_source="test", query_string=f"server_id={server_id}&phone={PHONE}&status=2"
        ),
    )
    assert response.status == 200
    assert statuses == []
    await send
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(e.data["server_id"], e.data["status"]) for e in statuses] == [
        (server_id, 0),
        (server_id, 2),
    ]
    assert entry.runtime_data.delivery.pending_count == 0

    # SMSPilot repeating the final status is not news.
    response = await async_handle_webhook(
        hass,
        entry.data[CONF_WEBHOOK_ID],
        MockRequest(
            b"", mock_source="test", query_string=f"server_id={server_id}&phone={PHONE}&status=2"
        ),
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert len(statuses) == 2


# 6. A send that left is tracked even when its caller is cancelled.


async def test_cancelled_send_is_still_tracked(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A script stopped while SMSPilot is slow: the SMS goes out and is followed."""
    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    emulator.set_fault("latency", 1, seconds=1.0)
    call = asyncio.create_task(
        hass.services.async_call(
            DOMAIN, "send_sms", {"to": PHONE, "message": "Stopped"}, blocking=True
        )
    )
    await until_sent(emulator)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert init_integration.runtime_data.delivery.pending_count == 0
    await hass.async_block_till_done(wait_background_tasks=True)
    [request] = sends(emulator)
    assert request.params["send"] == "Stopped"
    [message] = emulator.messages.values()
    assert [(e.data["server_id"], e.data["status"]) for e in statuses] == [(message.server_id, 0)]
    assert init_integration.runtime_data.delivery.pending_count == 1


# 7. Error 106, whole minutes, the sender sensor.


async def test_blocked_account_raises_an_issue_and_no_reauth(
    hass: HomeAssistant,
    emulator: Emulator,
    issue_registry: ir.IssueRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A blocked account fails actions with account_blocked and a repair issue, not reauth."""
    issue_id = f"account_blocked_{init_integration.entry_id}"
    emulator.accounts[DEMO_API_KEY].blocked = True
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": PHONE, "message": "Hi"}, blocking=True
        )
    assert err.value.translation_key == "account_blocked"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN, "smspilot", {"message": "Hi", "target": [PHONE]}, blocking=True
        )
    assert err.value.translation_key == "account_blocked"

    emulator.accounts[DEMO_API_KEY].blocked = False
    async_fire_time_changed(hass, dt_util.utcnow() + ACCOUNT_SCAN_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.runtime_data.coordinator.last_update_success
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_blocked_at_set_up_issue_clears_after_the_retry(
    hass: HomeAssistant,
    emulator: Emulator,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Blocked at start-up: set-up retries; once unblocked and loaded, the issue goes."""
    issue_id = f"account_blocked_{mock_config_entry.entry_id}"
    emulator.accounts[DEMO_API_KEY].blocked = True
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    emulator.accounts[DEMO_API_KEY].blocked = False
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_fractional_ttl_is_refused(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A lifetime of 1.5 minutes is refused with a translated error, and nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": PHONE, "message": "Hi", "ttl": 1.5}, blocking=True
        )
    assert err.value.translation_key == "ttl_not_whole"
    assert sends(emulator) == []


# 8. Migration.


async def test_migration_gives_old_entries_a_webhook(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A 1.1 entry without a webhook id gets one and becomes 1.2."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        version=1,
        minor_version=1,
        data={CONF_API_KEY: DEMO_API_KEY, CONF_API_URL: emulator.api_url},
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "webhook", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) >= 32
    assert set(hass.data[WEBHOOK_HANDLERS]) == {webhook_id}


async def test_migration_refuses_newer_entries(hass: HomeAssistant, emulator: Emulator) -> None:
    """An entry of a newer major version is not touched: MIGRATION_ERROR."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        version=2,
        minor_version=1,
        data={CONF_API_KEY: DEMO_API_KEY, CONF_API_URL: emulator.api_url},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert (entry.version, entry.minor_version) == (2, 1)
    assert CONF_WEBHOOK_ID not in entry.data
    assert user_info_requests(emulator) == []
