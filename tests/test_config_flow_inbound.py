"""Tests for the inbound address: the config flow's last step, Home Assistant Cloud, the repair issue."""

from __future__ import annotations

from collections.abc import Iterator
import importlib.util
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.webhook import async_handle_webhook
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smspilot.const import (
    CONF_CLOUDHOOK_URL,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    EVENT_SMS_RECEIVED,
)
from smspilot_emulator import DEMO_API_KEY, Emulator

from .inbound_helpers import (
    CLOUDHOOK_URL,
    MockedCloud,
    inbound_form,
    mocked_cloud,
    setup_account,
)

EXTERNAL_URL = "https://home.example.org"
LEARN_MORE_URL = "https://www.home-assistant.io/docs/configuration/remote/"


@pytest.fixture(autouse=True)
def point_new_accounts_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the flow's default API address the emulator's."""
    monkeypatch.setenv("SMSPILOT_API_URL", emulator.api_url)


@pytest.fixture
def cloud_subscription(hass: HomeAssistant) -> Iterator[MockedCloud]:
    """Pretend to have an active Home Assistant Cloud subscription."""
    with mocked_cloud(hass) as cloud:
        yield cloud


def test_cloud_api_exists() -> None:
    """The cloud functions the integration calls exist in this Home Assistant release."""
    spec = importlib.util.find_spec("homeassistant.components.cloud")
    assert spec is not None
    assert spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    for definition in (
        "def async_active_subscription(hass: HomeAssistant) -> bool:",
        "async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:",
        "async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:",
        "class CloudNotAvailable(HomeAssistantError):",
        "class CloudNotConnected(CloudNotAvailable):",
    ):
        assert definition in source


def _issue_id(entry: MockConfigEntry) -> str:
    """Return the id of the account's missing-address issue."""
    return f"no_public_url_{entry.entry_id}"


async def _start_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Enter the demo key and return the step that follows."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
        )
    )


async def test_flow_shows_the_external_address(hass: HomeAssistant) -> None:
    """With an external URL, the last step shows the webhook address on it."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    result = await _start_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "inbound"
    url = result["description_placeholders"]["url"]
    assert url.startswith(f"{EXTERNAL_URL}/api/webhook/")

    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert url == f"{EXTERNAL_URL}/api/webhook/{result['data'][CONF_WEBHOOK_ID]}"
    assert CONF_CLOUDHOOK_URL not in result["data"]


async def test_flow_without_an_address(hass: HomeAssistant) -> None:
    """Without any public address the flow explains that and still creates the entry."""
    result = await _start_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "inbound_no_url"
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(result["data"][CONF_WEBHOOK_ID]) >= 32
    assert CONF_CLOUDHOOK_URL not in result["data"]


async def test_flow_with_home_assistant_cloud(
    hass: HomeAssistant, cloud_subscription: MockedCloud
) -> None:
    """With Home Assistant Cloud the address is a cloudhook, kept in the entry."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    result = await _start_flow(hass)
    assert result["step_id"] == "inbound"
    assert result["description_placeholders"]["url"] == CLOUDHOOK_URL
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    cloud_subscription.create.assert_awaited_once_with(hass, result["data"][CONF_WEBHOOK_ID])


async def test_flow_with_cloud_not_connected(
    hass: HomeAssistant, cloud_subscription: MockedCloud
) -> None:
    """When the cloud cannot make a hook right now, the external URL is offered."""
    cloud_subscription.create.side_effect = cloud_subscription.module.CloudNotConnected
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    result = await _start_flow(hass)
    assert result["step_id"] == "inbound"
    assert result["description_placeholders"]["url"].startswith(f"{EXTERNAL_URL}/api/webhook/")


async def test_repair_issue_without_an_address(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """No public address raises a warning issue; adding an external URL clears it at once."""
    entry = await setup_account(hass, mock_config_entry)
    issue = issue_registry.async_get_issue(DOMAIN, _issue_id(entry))
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_key == "no_public_url"
    assert issue.translation_placeholders == {"title": "SMSPilot"}
    assert issue.learn_more_url == LEARN_MORE_URL
    assert entry.runtime_data.tracker.callback_url is None

    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    webhook_url = f"{EXTERNAL_URL}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    assert entry.runtime_data.tracker.callback_url == webhook_url
    assert not entry.runtime_data.inbound.polling


async def test_repair_issue_gone_after_reload_with_an_address(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """An address set in the configuration is picked up when the account loads again."""
    entry = await setup_account(hass, mock_config_entry)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_repair_issue_removed_on_unload(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """An unloaded (for example disabled) account leaves no issue behind."""
    entry = await setup_account(hass, mock_config_entry)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_loaded_account_uses_its_cloudhook(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
) -> None:
    """An account with a cloudhook uses it: no issue, no polling, callbacks to the cloud."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    entry = await setup_account(hass, mock_config_entry)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    assert entry.runtime_data.tracker.callback_url == CLOUDHOOK_URL
    assert not entry.runtime_data.inbound.polling
    cloud_subscription.create.assert_not_awaited()


async def test_loaded_account_gets_a_cloudhook(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, cloud_subscription: MockedCloud
) -> None:
    """Subscribing to the cloud after adding the account gives it a cloudhook at start-up."""
    entry = await setup_account(hass, mock_config_entry)
    cloud_subscription.create.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert entry.runtime_data.tracker.callback_url == CLOUDHOOK_URL


@pytest.mark.parametrize("cloud_set_up", [True, False])
async def test_expired_subscription_falls_back(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_set_up: bool,
) -> None:
    """A cloudhook without an active subscription is not used; the external URL is."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    if cloud_set_up:
        with mocked_cloud(hass, subscribed=False) as cloud:
            entry = await setup_account(hass, mock_config_entry)
        cloud.create.assert_not_awaited()
    else:
        entry = await setup_account(hass, mock_config_entry)
    assert entry.runtime_data.tracker.callback_url == (
        f"{EXTERNAL_URL}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    )
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_requests_through_the_cloud(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Requests Home Assistant Cloud forwards (not aiohttp requests) are handled the same."""
    entry = await setup_account(hass, mock_config_entry)
    sms_events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    form = "&".join(f"{key}={value}" for key, value in inbound_form(77).items()).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await async_handle_webhook(
        hass, webhook_id, MockRequest(form, mock_source="cloud", method="POST", headers=headers)
    )
    assert response.status == 200
    response = await async_handle_webhook(
        hass,
        webhook_id,
        MockRequest(
            b"", mock_source="cloud", query_string="server_id=5&phone=79161234567&status=2"
        ),
    )
    assert response.status == 200
    response = await async_handle_webhook(
        hass,
        webhook_id,
        MockRequest(
            form,
            mock_source="cloud",
            method="POST",
            headers={**headers, "Content-Length": "many"},
        ),
    )
    assert response.status == 400
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["id"] for event in sms_events] == [77]
    assert entry.runtime_data.inbound.rejected == 1


async def test_status_callback_through_the_cloud_reaches_the_tracker(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A GET status callback forwarded by the cloud moves a sent message on."""
    entry = await setup_account(hass, mock_config_entry)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN, "send_sms", {"to": ["79161234567"], "message": "test"}, blocking=True
    )
    server_id = max(emulator.messages)
    response = await async_handle_webhook(
        hass,
        entry.data[CONF_WEBHOOK_ID],
        MockRequest(
            b"",
            mock_source="cloud",
            query_string=f"server_id={server_id}&phone=79161234567&status=2&error=0",
        ),
    )
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(e.data["server_id"], e.data["status"]) for e in events][-1] == (server_id, 2)


async def test_removal_deletes_the_cloudhook_and_memory(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """Deleting the account deletes its cloudhook and its inbound memory."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    entry = await setup_account(hass, mock_config_entry)
    form = "&".join(f"{key}={value}" for key, value in inbound_form(78).items()).encode()
    await async_handle_webhook(
        hass, entry.data[CONF_WEBHOOK_ID], MockRequest(form, mock_source="cloud", method="POST")
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)
    key = f"{DOMAIN}.{entry.entry_id}.inbound"
    assert key in hass_storage
    with mocked_cloud(hass) as cloud:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    cloud.delete.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert key not in hass_storage


@pytest.mark.parametrize("error", ["CloudNotAvailable", "ValueError"])
async def test_removal_when_the_cloud_cannot_delete(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, error: str
) -> None:
    """Not logged in any more, or the hook already gone: the account is removed anyway."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    await setup_account(hass, mock_config_entry)
    with mocked_cloud(hass) as cloud:
        cloud.delete.side_effect = getattr(cloud.module, error, ValueError)
        await hass.config_entries.async_remove(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    cloud.delete.assert_awaited_once()
    assert hass.config_entries.async_get_entry(mock_config_entry.entry_id) is None


async def test_removal_without_cloudhook(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An account without a cloudhook does not ask the cloud for anything."""
    await setup_account(hass, mock_config_entry)
    with mocked_cloud(hass) as cloud:
        await hass.config_entries.async_remove(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    cloud.delete.assert_not_called()


async def test_removal_after_the_cloud_is_gone(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """With Home Assistant Cloud no longer set up, removal skips the cloudhook."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    await setup_account(hass, mock_config_entry)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(mock_config_entry.entry_id) is None


class _BrokenBody:
    """A request body whose reading fails like a dropped connection."""

    async def read(self, byte_count: int = -1) -> bytes:
        """Fail to read."""
        raise ConnectionResetError("Connection lost")


class _HungUpRequest(MockRequest):
    """A forwarded POST whose caller hung up halfway through the body."""

    @property
    def content(self) -> Any:
        """Return the failing body."""
        return _BrokenBody()


async def test_unreadable_body_is_refused_quietly(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """A body that cannot be read is refused without an error in the log."""
    entry = await setup_account(hass, mock_config_entry)
    request = _HungUpRequest(b"", mock_source="cloud", method="POST")
    response = await async_handle_webhook(hass, entry.data[CONF_WEBHOOK_ID], request)
    assert response.status == 400
    assert entry.runtime_data.inbound.rejected == 1
    assert "Error processing webhook" not in caplog.text


async def test_unexpected_failure_answers_without_traceback(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Even an internal fault gives the caller a plain 4xx and the log one line."""
    entry = await setup_account(hass, mock_config_entry)
    form = "&".join(f"{key}={value}" for key, value in inbound_form(79).items()).encode()
    with patch.object(
        entry.runtime_data.inbound, "async_receive", side_effect=RuntimeError("boom")
    ):
        response = await async_handle_webhook(
            hass, entry.data[CONF_WEBHOOK_ID], MockRequest(form, mock_source="cloud", method="POST")
        )
    assert response.status == 400
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Could not process a request from SMSPilot (RuntimeError: boom)"
    ]
    assert errors[0].exc_info is None
    assert entry.data[CONF_WEBHOOK_ID] not in errors[0].getMessage()
