"""Simulated days and store memory, run in Home Assistant's test harness by `python -m benchmarks`.

Each test measures one quantity and adds it to the JSON file named by BENCH_SIM_OUT. Time is
simulated with freezer and async_fire_time_changed, one minute per step, against the
emulator in the same event loop. Nothing here asserts a timing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
import gc
import json
import os
from pathlib import Path
import tracemalloc
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (  # type: ignore[import-untyped]
    ClientSessionGenerator,
)

from custom_components.smspilot.api import (
    InboundSms,
    MessageStatus,
    SendResult,
    SentMessage,
    SmsPilotClient,
)
from custom_components.smspilot.const import CONF_API_URL, DOMAIN, SendKind
from custom_components.smspilot.models import SmsPilotConfigEntry
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator, RecordedRequest

WEBHOOK_ID = "5d1c0e4f9a8b47c6b2e3f4a5b6c7d8e9"
PHONE = "79087964781"
DAY_MINUTES = 24 * 60
SENDS_PER_DAY = 100
STORE_ENTRIES = 10_000


def _record(name: str, value: Any) -> None:
    """Add one measured value to the results file."""
    path = Path(os.environ.get("BENCH_SIM_OUT", "benchmarks/out/sim.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results[name] = value
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _kind(request: RecordedRequest) -> str:
    """Name an API request by its parameters."""
    for kind in ("send", "check", "inbound", "balance"):
        if kind in request.params:
            return kind
    return "user_info"


def _send_minutes() -> set[int]:
    """Return the minutes of the day the sends happen at, spread evenly."""
    return {1 + (index * DAY_MINUTES) // SENDS_PER_DAY for index in range(SENDS_PER_DAY)}


async def _simulate_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    send: Callable[[int], Awaitable[None]] | None,
) -> dict[str, int]:
    """Let a day pass a minute at a time, sending at the chosen minutes; count the requests."""
    first = len(emulator.requests)
    minutes = _send_minutes() if send is not None else set()
    for minute in range(1, DAY_MINUTES + 1):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        if send is not None and minute in minutes:
            await send(minute)
            # The SMS is delivered within the minute; with a webhook the callbacks arrive now.
            await emulator.complete_all()
            await hass.async_block_till_done(wait_background_tasks=True)
    counts = Counter(_kind(request) for request in emulator.requests[first:])
    return {"total": sum(counts.values()), **dict(sorted(counts.items()))}


async def _setup_account(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    *,
    public_url: bool,
) -> SmsPilotConfigEntry:
    """Set up the demo account; with `public_url`, SMSPilot can reach its webhook."""
    assert await async_setup_component(hass, "webhook", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        data={
            CONF_API_KEY: DEMO_API_KEY,
            CONF_API_URL: emulator.api_url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    if public_url:
        client = await hass_client_no_auth()
        await hass.config.async_update(external_url=str(client.make_url("")).rstrip("/"))
        await hass.async_block_till_done(wait_background_tasks=True)
    loaded: SmsPilotConfigEntry = entry
    assert (loaded.runtime_data.delivery.callback_url is not None) is public_url
    return loaded


@pytest.mark.parametrize("public_url", [True, False], ids=["webhook", "no_public_url"])
@pytest.mark.parametrize("sends", [False, True], ids=["idle", "100_sends"])
async def test_integration_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    public_url: bool,
    sends: bool,
) -> None:
    """Count the API requests of the integration over a simulated day."""
    await _setup_account(hass, emulator, hass_client_no_auth, public_url=public_url)

    async def notify(minute: int) -> None:
        """Send one SMS through notify.smspilot."""
        await hass.services.async_call(
            "notify",
            "smspilot",
            {"message": f"Door opened ({minute})", "target": [PHONE]},
            blocking=True,
        )

    counts = await _simulate_day(hass, freezer, emulator, notify if sends else None)
    name = f"day_{'sends' if sends else 'idle'}_{'webhook' if public_url else 'polling'}"
    _record(name, counts)


@pytest.mark.parametrize("sends", [False, True], ids=["idle", "100_sends"])
async def test_baseline_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator, sends: bool
) -> None:
    """Count the API requests of a client that polls statuses every minute, over a day."""
    client = SmsPilotClient(async_get_clientsession(hass), DEMO_API_KEY, api_url=emulator.api_url)

    async def poll(_now: datetime) -> None:
        """Ask for the recent statuses, as a naive integration would every minute."""
        await client.get_recent_status()

    stop = async_track_time_interval(hass, poll, timedelta(minutes=1), cancel_on_shutdown=True)

    async def send(minute: int) -> None:
        """Send one SMS."""
        await client.send_sms(PHONE, f"Door opened ({minute})")

    try:
        counts = await _simulate_day(hass, freezer, emulator, send if sends else None)
    finally:
        stop()
    _record(f"baseline_day_{'sends' if sends else 'idle'}", counts)


def _traced_now() -> int:
    """Return the bytes tracemalloc sees as allocated now, after a full collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_pending_store_memory(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Measure the memory the delivery tracker keeps for 10,000 pending messages."""
    entry = await _setup_account(hass, emulator, hass_client_no_auth, public_url=False)
    tracker = entry.runtime_data.delivery
    first_id = 500_000_000

    tracemalloc.start()
    try:
        before = _traced_now()
        result = SendResult(
            messages=tuple(
                SentMessage(
                    server_id=first_id + index,
                    phone=f"7916{index:07d}",
                    status=MessageStatus.ACCEPTED,
                    price=Decimal("1.31"),
                )
                for index in range(STORE_ENTRIES)
            ),
            balance=Decimal(1000),
            cost=Decimal("13100"),
            packet_id=first_id,
        )
        tracker.track(SendKind.SMS, result)
        del result
        await hass.async_block_till_done()
        ours = _traced_now() - before

        before = _traced_now()
        baseline = {first_id + index: 0 for index in range(STORE_ENTRIES)}
        bare = _traced_now() - before
        del baseline
    finally:
        tracemalloc.stop()
    assert tracker.pending_count == STORE_ENTRIES
    _record("memory_pending", {"ours": ours, "baseline": bare, "entries": STORE_ENTRIES})


async def test_dedup_store_memory(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Measure the memory the inbound processor keeps to recognise 10,000 SMS ids."""
    entry = await _setup_account(hass, emulator, hass_client_no_auth, public_url=False)
    inbound = entry.runtime_data.mailbox
    first_id = 700_000_000

    tracemalloc.start()
    try:
        before = _traced_now()
        for index in range(STORE_ENTRIES):
            inbound.receive(
                InboundSms(
                    id=first_id + index,
                    phone=f"7916{index:07d}",
                    message="Open the gate",
                    user_id=str(DEMO_USER_ID),
                    num="79533984570",
                )
            )
        await hass.async_block_till_done()
        ours = _traced_now() - before

        before = _traced_now()
        baseline = set(range(first_id, first_id + STORE_ENTRIES))
        bare = _traced_now() - before
        del baseline
    finally:
        tracemalloc.stop()
    assert inbound.received == STORE_ENTRIES
    _record("memory_dedup", {"ours": ours, "baseline": bare, "entries": STORE_ENTRIES})
