"""All-or-nothing set-up: a fault at any step leaves nothing behind, and the retry starts clean.

Each test breaks one step of async_setup_entry, checks that the failed set-up left no
webhook, notify action, bus listener, timer, repair issue or entity behind, then lets the
retry run without the fault and checks that everything is there exactly once (and that an
unload takes all of it away again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
import functools
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, STATE_UNAVAILABLE
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    get_scheduled_timer_handles,
)

from custom_components.smspilot.api import SmsPilotClient, SmsPilotConnectionError
from custom_components.smspilot.const import DOMAIN
from custom_components.smspilot.delivery import DeliveryTracker
from custom_components.smspilot.legacy_notify import (
    DATA_LEGACY_NOTIFY,
    AccountNotifyService,
    LegacyNotify,
)
from custom_components.smspilot.mailbox import InboundMailbox
from custom_components.smspilot.public_address import PublicAddress

from .conftest import WEBHOOK_ID

LEGACY = ["smspilot", "smspilot_voice"]
ENTITIES = [
    "event.smspilot_inbound_sms",
    "sensor.smspilot_balance",
    "sensor.smspilot_default_sender",
    "sensor.smspilot_last_inbound_sms",
    "sensor.smspilot_last_message_status",
]


@contextmanager
def _second_notify_action_fails() -> Iterator[None]:
    """Let notify.smspilot register, then fail notify.smspilot_voice."""
    original = AccountNotifyService.async_register_services
    calls = 0

    async def register(self: AccountNotifyService) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise HomeAssistantError("second action")
        await original(self)

    with patch.object(AccountNotifyService, "async_register_services", register):
        yield


def _faults(hass: HomeAssistant) -> dict[str, Callable[[], AbstractContextManager[Any]]]:
    """Return, by step, what breaks that step of the set-up."""
    return {
        "user_info": lambda: patch.object(
            SmsPilotClient, "get_user_info", side_effect=SmsPilotConnectionError("unreachable")
        ),
        "delivery_load": lambda: patch.object(
            DeliveryTracker, "async_load", side_effect=OSError("disk")
        ),
        "mailbox_load": lambda: patch.object(
            InboundMailbox, "async_load", side_effect=OSError("disk")
        ),
        "address_start": lambda: patch.object(
            PublicAddress, "async_start", side_effect=OSError("address")
        ),
        # After it started listening for Home Assistant's URL changes.
        "address_lookup": lambda: patch.object(
            PublicAddress, "_async_refresh", side_effect=OSError("address")
        ),
        "forward_platforms": lambda: patch.object(
            hass.config_entries,
            "async_forward_entry_setups",
            side_effect=HomeAssistantError("platforms"),
        ),
        "legacy_notify": lambda: patch.object(
            LegacyNotify, "async_add", side_effect=HomeAssistantError("notify")
        ),
        "legacy_notify_second_action": _second_notify_action_fails,
        # What Home Assistant raises when another integration holds the webhook id.
        "webhook": lambda: patch(
            "homeassistant.components.webhook.async_register",
            side_effect=ValueError("Handler is already defined!"),
        ),
        "mailbox_start": lambda: patch.object(
            InboundMailbox, "async_start", side_effect=OSError("mailbox")
        ),
    }


STEPS = [
    "user_info",
    "delivery_load",
    "mailbox_load",
    "address_start",
    "address_lookup",
    "forward_platforms",
    "legacy_notify",
    "legacy_notify_second_action",
    "webhook",
    "mailbox_start",
]


def _qualname(target: Any) -> tuple[str, str]:
    """Return the module and name of a timer's target (through partials and bound methods)."""
    while isinstance(target, functools.partial):
        target = target.func
    module = getattr(target, "__module__", "") or ""
    return module, getattr(target, "__qualname__", type(target).__name__)


def _our_timers(hass: HomeAssistant) -> list[str]:
    """Describe the scheduled timers of the integration (not Home Assistant's retry)."""
    found = []
    for handle in get_scheduled_timer_handles(hass.loop):
        if handle.cancelled():
            continue
        owner = getattr(handle._callback, "__self__", None)
        if isinstance(owner, Store):
            # A delayed write: ours only when it writes one of our files.
            if owner.key.startswith(f"{DOMAIN}."):
                found.append(f"delayed write of {owner.key}")
            continue
        module, name = _qualname(handle._callback)
        if owner is not None:
            module = type(owner).__module__
        jobs = [arg for arg in handle._args if isinstance(arg, HassJob)]
        for job in jobs:
            job_module, job_name = _qualname(job.target)
            if owner_of_job := getattr(job.target, "__self__", None):
                job_module = type(owner_of_job).__module__
            module = f"{module} {job_module} {job.name or ''}"
            name = f"{name} -> {job_name}"
        if "smspilot" in module and "_async_setup_again" not in name:
            found.append(name)
    return sorted(found)


def _footprint(hass: HomeAssistant) -> dict[str, Any]:
    """Return everything an account can register, to compare before and after."""
    return {
        "listeners": {
            str(event): count
            for event, count in hass.bus.async_listeners().items()
            if count and event != EVENT_HOMEASSISTANT_FINAL_WRITE
        },
        "notify": sorted(
            name for name in hass.services.async_services_for_domain("notify") if "smspilot" in name
        ),
        "webhooks": sorted(hass.data.get("webhook", {})),
        "issues": sorted(issue for domain, issue in ir.async_get(hass).issues if domain == DOMAIN),
        "timers": _our_timers(hass),
        "entities": sorted(
            state.entity_id
            for state in hass.states.async_all()
            if "smspilot" in state.entity_id
            and not (state.state == STATE_UNAVAILABLE and state.attributes.get("restored"))
        ),
    }


@pytest.mark.parametrize("step", STEPS)
async def test_a_failed_step_leaves_nothing_and_the_retry_loads_once(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    """A fault at one step: nothing stays behind, and the retry sets everything up once."""
    # What the account's set-up would otherwise load first, so the footprint is its own.
    for component in ("webhook", "notify", "sensor", "event", DOMAIN):
        assert await async_setup_component(hass, component, {})
    async_get_clientsession(hass)
    await hass.async_block_till_done()
    before = _footprint(hass)
    entry = mock_config_entry
    entry.add_to_hass(hass)

    with _faults(hass)[step]():
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert _footprint(hass) == before
    assert hass.data[DATA_LEGACY_NOTIFY].names(entry.entry_id) == []

    # Without the fault, Home Assistant's retry loads the account, everything once.
    caplog.clear()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    loaded = _footprint(hass)
    assert loaded["notify"] == LEGACY
    assert hass.data[DATA_LEGACY_NOTIFY].names(entry.entry_id) == LEGACY
    assert loaded["webhooks"] == [WEBHOOK_ID]
    # No external URL in these tests: the account says so (and only that).
    assert loaded["issues"] == [f"no_public_url_{entry.entry_id}"]
    assert loaded["entities"] == ENTITIES
    complaints = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (record.levelno >= logging.WARNING and record.name.startswith("custom_components"))
    ]
    assert complaints == []

    # A reload sets up the same again (nothing was doubled by the failed attempt).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _footprint(hass) == loaded

    # And an unload takes all of it away.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _footprint(hass) == before
