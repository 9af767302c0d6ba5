"""Tests for SMSPilot diagnostics."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from smspilot_emulator import DEMO_API_KEY


async def test_diagnostics_redact_secrets_and_personal_data(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics show the account's state but not its key, e-mail, name or phone."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = json.dumps(diagnostics, ensure_ascii=False)
    assert DEMO_API_KEY not in text
    assert "info@example.com" not in text
    assert "79087964781" not in text
    assert "Иванов" not in text
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["account"]["balance"] == "2934.76"
    assert diagnostics["account"]["senders"] == ["INFORM", "test"]
    assert diagnostics["account"]["email"] == "**REDACTED**"
    assert diagnostics["account_last_update_success"] is True
