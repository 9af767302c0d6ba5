"""Fixtures of the simulated benchmarks (the Home Assistant test harness, emulator in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

# Home Assistant looks custom integrations up in the harness's own package; importing ours
# first makes `custom_components.smspilot` resolve to this repository.
import custom_components.smspilot  # noqa: F401
from smspilot_emulator import Emulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every simulation."""


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """Run a fresh SMSPilot emulator on 127.0.0.1 for one simulation."""
    emu = Emulator(status_delays=(1.0, 2.0))
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.close()
