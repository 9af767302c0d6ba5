"""Lives of Home Assistant on one storage: a restart, as tests see it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient
from homeassistant import loader
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_test_home_assistant,
    get_scheduled_timer_handles,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.const import CONF_API_URL, DOMAIN, EVENT_SMS_RECEIVED
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator

from .conftest import WEBHOOK_ID


def restart_entry(emulator: Emulator, entry_id: str) -> MockConfigEntry:
    """Return the demo account's entry, the same in every life."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        data={
            CONF_API_KEY: DEMO_API_KEY,
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )


@asynccontextmanager
async def home_assistant_life(
    config_dir: str,
    emulator: Emulator,
    aiohttp_client: ClientSessionGenerator,
    *,
    entry_id: str,
    external_url: str | None = None,
) -> AsyncIterator[tuple[HomeAssistant, SmsPilotConfigEntry, TestClient]]:
    """Run one life of Home Assistant with the account set up and its HTTP served.

    Inbound-SMS events are captured in hass.data["test_received"]. The life ends as a
    restart does: the stop and final-write stages run, nothing unloads.
    """
    timers_before = set(get_scheduled_timer_handles(asyncio.get_running_loop()))
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        assert await async_setup_component(hass, "webhook", {})
        if external_url is not None:
            await hass.config.async_update(external_url=external_url)
        hass.data["test_received"] = async_capture_events(hass, EVENT_SMS_RECEIVED)
        if (entry := hass.config_entries.async_get_entry(entry_id)) is None:
            mock = restart_entry(emulator, entry_id)
            mock.add_to_hass(hass)
            entry = mock
        assert await hass.config_entries.async_setup(entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        client = await aiohttp_client(hass.http.app)  # type: ignore[arg-type]
        try:
            yield hass, entry, client  # type: ignore[misc]
        finally:
            await hass.async_stop()
            # The process would end here. All lives share the test's event loop, so the
            # timers a stopped one left (coordinators, the status poll) are cancelled.
            for handle in get_scheduled_timer_handles(asyncio.get_running_loop()):
                module = getattr(handle._callback, "__module__", "") or ""
                if handle not in timers_before and module.startswith(
                    ("homeassistant", "custom_components")
                ):
                    handle.cancel()
