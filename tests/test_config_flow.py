"""Tests for the SMSPilot config flow, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smspilot.config_flow import SECTION_ADVANCED
from custom_components.smspilot.const import CONF_API_URL, CONF_DEFAULT_SENDER, DOMAIN
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator

OTHER_KEY = "OTHERACCOUNTKEY0000000000000000000000000000000000000000000000000"
SAME_ACCOUNT_KEY = "SAMEACCOUNTNEWKEY000000000000000000000000000000000000000000000000"


@pytest.fixture(autouse=True)
async def let_reloads_finish(hass: HomeAssistant) -> AsyncIterator[None]:
    """Let the reload that reauth and reconfigure schedule finish before Home Assistant stops."""
    yield
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture(autouse=True)
def point_new_accounts_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the flow's default API address the emulator's."""
    monkeypatch.setenv("SMSPILOT_API_URL", emulator.api_url)


def _schema_keys(result: dict[str, Any]) -> set[str]:
    """Return the field names of a form, with a section's fields as section.field."""
    keys: set[str] = set()
    for key, value in result["data_schema"].schema.items():
        if isinstance(value, section):
            keys |= {f"{key}.{inner}" for inner in value.schema.schema}
        else:
            keys.add(str(key))
    return keys


ADDRESS_FIELD = f"{SECTION_ADVANCED}.{CONF_API_URL}"
PLAIN_FORM = {CONF_API_KEY, ADDRESS_FIELD}


async def _finish(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    """Pass the last step, which shows the inbound-SMS address (none in tests)."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "inbound_no_url"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {})


async def test_user_flow_creates_entry(hass: HomeAssistant, emulator: Emulator) -> None:
    """A working key creates the entry titled SMSPilot with key and address."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert _schema_keys(result) == PLAIN_FORM

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    result = await _finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SMSPilot"
    data = dict(result["data"])
    assert len(data.pop(CONF_WEBHOOK_ID)) >= 32  # a fresh, unguessable webhook id
    assert data == {CONF_API_KEY: DEMO_API_KEY, CONF_API_URL: emulator.api_url}
    assert result["result"].unique_id == str(DEMO_USER_ID)
    # The key was checked with the user-info request, and only through the request body.
    first = emulator.requests[0]
    assert first.method == "POST"
    assert first.params["apikey"] == DEMO_API_KEY
    assert not set(first.params) - {"apikey", "format"}
    assert all(r.query == "" and r.method == "POST" for r in emulator.requests)


async def test_user_flow_takes_address_from_advanced_section(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collapsed advanced section takes another API address."""
    monkeypatch.delenv("SMSPILOT_API_URL")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert _schema_keys(result) == {CONF_API_KEY, ADDRESS_FIELD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: DEMO_API_KEY, SECTION_ADVANCED: {CONF_API_URL: emulator.api_url}},
    )
    result = await _finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_URL] == emulator.api_url


async def _break_with(emulator: Emulator, cause: str) -> dict[str, str]:
    """Make the next check fail in one way; return the form error it must show."""
    if cause == "wrong_key":
        return {CONF_API_KEY: "invalid_auth"}
    if cause == "blocked":
        emulator.accounts[DEMO_API_KEY].blocked = True
        return {"base": "account_blocked"}
    if cause == "drop_connection":
        emulator.set_fault("drop_connection")
        return {"base": "cannot_connect"}
    if cause == "http_500":
        emulator.set_fault("http_500")
        return {"base": "cannot_connect"}
    emulator.set_fault("non_json")
    return {"base": "unknown"}


def _repair(emulator: Emulator) -> None:
    """Undo every breakage _break_with can make."""
    emulator.clear_faults()
    emulator.accounts[DEMO_API_KEY].blocked = False


CAUSES = ["wrong_key", "blocked", "drop_connection", "http_500", "non_json"]


@pytest.mark.parametrize("cause", CAUSES)
async def test_user_flow_errors_recover(
    hass: HomeAssistant, emulator: Emulator, cause: str
) -> None:
    """Each failure shows its translated error, keeps the form, and a retry succeeds."""
    expected = await _break_with(emulator, cause)
    key = "WRONGKEY" if cause == "wrong_key" else DEMO_API_KEY
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: key})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == expected

    _repair(emulator)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    result = await _finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unreachable_server(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that refuses connections is reported as cannot_connect."""
    await emulator.close()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A second entry for the same account aborts."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_second_account_gets_its_own_title(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Another account next to the first is titled with its account number."""
    mock_config_entry.add_to_hass(hass)
    emulator.add_account(api_key=OTHER_KEY, user_id=777)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY}
    )
    result = await _finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SMSPilot 777"
    assert result["result"].unique_id == "777"


async def test_reauth_replaces_key(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reauth with a new key of the same account stores it and reloads."""
    mock_config_entry.add_to_hass(hass)
    emulator.add_account(api_key=SAME_ACCOUNT_KEY, user_id=DEMO_USER_ID)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SAME_ACCOUNT_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_API_KEY] == SAME_ACCOUNT_KEY
    assert mock_config_entry.data[CONF_API_URL] == emulator.api_url


async def test_reconfigure_changes_key(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reconfigure stores a new key of the same account."""
    mock_config_entry.add_to_hass(hass)
    emulator.add_account(api_key=SAME_ACCOUNT_KEY, user_id=DEMO_USER_ID)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert _schema_keys(result) == PLAIN_FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SAME_ACCOUNT_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_API_KEY] == SAME_ACCOUNT_KEY
    assert mock_config_entry.data[CONF_API_URL] == emulator.api_url


async def test_reconfigure_changes_address(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reconfigure can move the account to another API address."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_URL: "http://127.0.0.1:9/api.php"},
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "reconfigure", "entry_id": mock_config_entry.entry_id},
    )
    assert _schema_keys(result) == {CONF_API_KEY, ADDRESS_FIELD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: DEMO_API_KEY, SECTION_ADVANCED: {CONF_API_URL: emulator.api_url}},
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_API_URL] == emulator.api_url


# Reauth and reconfigure check the key the same way; each must show it.
KEY_FLOWS = {"reauth": "reauth_successful", "reconfigure": "reconfigure_successful"}


async def _start_key_flow(hass: HomeAssistant, entry: MockConfigEntry, flow: str) -> dict[str, Any]:
    """Start the reauth or reconfigure flow of an entry."""
    if flow == "reauth":
        return await entry.start_reauth_flow(hass)
    return await entry.start_reconfigure_flow(hass)


@pytest.mark.parametrize("flow", KEY_FLOWS)
@pytest.mark.parametrize("cause", CAUSES)
async def test_key_flow_errors_recover(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    cause: str,
    flow: str,
) -> None:
    """Reauth and reconfigure show each error and then accept a working key."""
    mock_config_entry.add_to_hass(hass)
    expected = await _break_with(emulator, cause)
    key = "WRONGKEY" if cause == "wrong_key" else DEMO_API_KEY
    result = await _start_key_flow(hass, mock_config_entry, flow)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: key})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == expected
    _repair(emulator)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
    )
    assert result["reason"] == KEY_FLOWS[flow]


@pytest.mark.parametrize("flow", KEY_FLOWS)
async def test_key_flow_refuses_other_account(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry, flow: str
) -> None:
    """A key of another account does not replace the stored one."""
    mock_config_entry.add_to_hass(hass)
    emulator.add_account(api_key=OTHER_KEY, user_id=777)
    result = await _start_key_flow(hass, mock_config_entry, flow)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_API_KEY] == DEMO_API_KEY


async def test_options_flow_default_sender(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The options offer the account's senders and store the chosen one."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    selector = result["data_schema"].schema[CONF_DEFAULT_SENDER]
    assert selector.config["options"] == ["INFORM", "test"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: "test"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == {CONF_DEFAULT_SENDER: "test"}


async def test_options_flow_keeps_a_sender_no_longer_listed(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A stored sender that the account no longer lists stays selectable."""
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_DEFAULT_SENDER: "OLDNAME"}
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    selector = result["data_schema"].schema[CONF_DEFAULT_SENDER]
    assert selector.config["options"] == ["OLDNAME", "INFORM", "test"]


async def test_options_flow_without_senders(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """An account with no sender names has nothing to choose."""
    account = emulator.accounts[DEMO_API_KEY]
    account.senders = ()
    account.default_sender = None
    account.balance = Decimal("1.00")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_senders"


async def test_options_flow_while_account_is_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without the account's facts the stored sender stays the only choice."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_DEFAULT_SENDER: "INFORM"}
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    selector = result["data_schema"].schema[CONF_DEFAULT_SENDER]
    assert selector.config["options"] == ["INFORM"]
