"""Restarts: pending statuses and the inbound-SMS memory outlive Home Assistant stopping.

Two Home Assistant instances run one after the other on the same (mocked) storage, as a
restart does: the first is stopped the way Home Assistant stops (final write, no unload),
the second loads what the first left.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigEntryState, OperationNotAllowed
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.const import (
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    EVENT_SMS_RECEIVED,
    STATUS_POLL_INTERVAL,
)
from custom_components.smspilot.legacy_notify import DATA_LEGACY_NOTIFY
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import Emulator

from .conftest import WEBHOOK_ID
from .inbound_helpers import inbound_form
from .restart_helpers import home_assistant_life

ENTRY_ID = "01JRESTART0000000000000000"
PHONE = "79087964781"
PATH = f"/api/webhook/{WEBHOOK_ID}"


def _home_assistant(
    config_dir: str, emulator: Emulator, aiohttp_client: ClientSessionGenerator
) -> AbstractAsyncContextManager[tuple[HomeAssistant, SmsPilotConfigEntry, TestClient]]:
    """Run one life of Home Assistant with the demo account (see restart_helpers)."""
    return home_assistant_life(config_dir, emulator, aiohttp_client, entry_id=ENTRY_ID)


async def _post(client: TestClient, form: dict[str, Any]) -> int:
    """POST a form to the account's webhook and return the status."""
    async with client.post(PATH, data=form) as answer:
        return answer.status


async def test_pending_statuses_and_sms_memory_survive_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """A message sent before a restart gets its status after it; a replayed SMS stays silent."""
    config_dir = hass.config.config_dir

    async with _home_assistant(config_dir, emulator, aiohttp_client) as (first, entry, client):
        received = async_capture_events(first, EVENT_SMS_RECEIVED)
        response = await first.services.async_call(
            DOMAIN,
            "send_sms",
            {"to": PHONE, "message": "Boiler off"},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        server_id = response["messages"][0]["server_id"]
        assert await _post(client, inbound_form(4242)) == 200
        await first.async_block_till_done(wait_background_tasks=True)
        assert [event.data["id"] for event in received] == [4242]
        assert entry.runtime_data.delivery.pending_count == 1

    # What the first life left behind (written at its final write, not by an unload).
    pending = hass_storage[f"{DOMAIN}.{ENTRY_ID}.pending"]["data"]["messages"]
    assert [(m["server_id"], m["phone"], m["kind"]) for m in pending] == [(server_id, PHONE, "sms")]
    assert 4242 in hass_storage[f"{DOMAIN}.{ENTRY_ID}.inbound"]["data"]["handled_ids"]

    await emulator.complete_all()
    async with _home_assistant(config_dir, emulator, aiohttp_client) as (second, entry, client):
        received = async_capture_events(second, EVENT_SMS_RECEIVED)
        statuses = async_capture_events(second, EVENT_MESSAGE_STATUS)
        assert entry.runtime_data.delivery.pending_count == 1

        # SMSPilot retrying the webhook after the restart: answered, not announced again.
        assert await _post(client, inbound_form(4242)) == 200
        assert await _post(client, inbound_form(4243)) == 200
        await second.async_block_till_done(wait_background_tasks=True)
        assert [event.data["id"] for event in received] == [4243]

        async_fire_time_changed(second, dt_util.utcnow() + STATUS_POLL_INTERVAL)
        await second.async_block_till_done(wait_background_tasks=True)
        assert [
            (e.data["server_id"], e.data["phone"], e.data["kind"], e.data["status_name"])
            for e in statuses
        ] == [(server_id, PHONE, "sms", "delivered")]
        assert entry.runtime_data.delivery.pending_count == 0


async def test_a_restart_inside_the_save_delay_keeps_the_newest_sms(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """An SMS announced a moment before the restart is still remembered after it."""
    config_dir = hass.config.config_dir
    async with _home_assistant(config_dir, emulator, aiohttp_client) as (first, _, client):
        for sms_id in range(100, 110):
            assert await _post(client, inbound_form(sms_id)) == 200
        await first.async_block_till_done(wait_background_tasks=True)
        # No time passes: the delayed save has not run when Home Assistant stops.

    async with _home_assistant(config_dir, emulator, aiohttp_client) as (second, _, client):
        received = async_capture_events(second, EVENT_SMS_RECEIVED)
        for sms_id in range(100, 111):
            assert await _post(client, inbound_form(sms_id)) == 200
        await second.async_block_till_done(wait_background_tasks=True)
        assert [event.data["id"] for event in received] == [110]


async def test_messages_older_than_three_days_are_not_restored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """A pending message from long before the restart is dropped, not polled forever."""
    sent_at = (dt_util.utcnow() - timedelta(days=4)).isoformat()
    hass_storage[f"{DOMAIN}.{ENTRY_ID}.pending"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{ENTRY_ID}.pending",
        "data": {
            "messages": [
                {
                    "server_id": 1,
                    "packet_id": 1,
                    "phone": PHONE,
                    "kind": "sms",
                    "status": 0,
                    "sent_at": sent_at,
                },
                {"server_id": "damaged"},
            ]
        },
    }
    async with _home_assistant(hass.config.config_dir, emulator, aiohttp_client) as (_, entry, _c):
        assert entry.runtime_data.delivery.pending_count == 0


async def test_an_unload_during_notify_set_up_leaves_no_action_behind(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An account reloaded and unloaded while its notify actions are set up keeps none twice.

    Home Assistant sets a legacy notify action up by loading the notify integration's
    service descriptions in the executor; a reload followed quickly by an unload (or a
    second reload) falls into that window. The gate holds it open on purpose. The actions
    are part of the set-up now: meanwhile Home Assistant refuses the unload and queues the
    second reload, and once the gate opens there is one pair of actions, which the unload
    after it removes.
    """
    gate = asyncio.Event()
    waiting = asyncio.Event()
    original = BaseNotificationService.async_setup

    async def slow_setup(self: BaseNotificationService, *args: Any) -> None:
        """Set the notify service up once the gate opens."""
        waiting.set()
        await gate.wait()
        await original(self, *args)

    entry_id = init_integration.entry_id
    with patch.object(BaseNotificationService, "async_setup", slow_setup):
        first = asyncio.create_task(hass.config_entries.async_reload(entry_id))
        async with asyncio.timeout(10):
            await waiting.wait()
        assert init_integration.state is ConfigEntryState.SETUP_IN_PROGRESS
        second = asyncio.create_task(hass.config_entries.async_reload(entry_id))
        with pytest.raises(OperationNotAllowed):
            await hass.config_entries.async_unload(entry_id)
        await asyncio.sleep(0)
        assert not first.done()
        assert not second.done()
        gate.set()
        async with asyncio.timeout(10):
            assert await first
            assert await second
        await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.data[DATA_LEGACY_NOTIFY].names(entry_id) == ["smspilot", "smspilot_voice"]
    assert sorted(
        name for name in hass.services.async_services_for_domain("notify") if "smspilot" in name
    ) == ["smspilot", "smspilot_voice"]

    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not hass.services.has_service("notify", "smspilot")
    assert not hass.services.has_service("notify", "smspilot_voice")
