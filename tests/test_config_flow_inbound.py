"""Tests for the inbound address: the config flow's last step, Home Assistant Cloud, the repair issue."""

from __future__ import annotations

from collections.abc import Iterator
import importlib.util
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.webhook import async_handle_webhook
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
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

from .conftest import user_info_requests
from .inbound_helpers import (
    CLOUDHOOK_URL,
    MockedCloud,
    cloud_has_cloudhook_change,
    inbound_form,
    mocked_cloud,
    setup_account,
)

EXTERNAL_URL = "https://home.example.org"
LEARN_MORE_URL = "https://www.home-assistant.io/docs/configuration/remote/"
OTHER_CLOUDHOOK_URL = "https://hooks.nabu.casa/KLMNOPQRST"
TOMBSTONE_KEY = f"{DOMAIN}.removed_accounts"

needs_cloudhook_change = pytest.mark.skipif(
    not cloud_has_cloudhook_change(),
    reason="this Home Assistant's cloud has no async_listen_cloudhook_change (before 2025.10)",
)


@pytest.fixture(autouse=True)
def point_new_accounts_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the flow's default API address the emulator's."""
    monkeypatch.setenv("SMSPILOT_API_URL", emulator.api_url)


@pytest.fixture
def cloud_subscription(hass: HomeAssistant) -> Iterator[MockedCloud]:
    """Pretend to have an active, connected Home Assistant Cloud subscription."""
    with mocked_cloud(hass) as cloud:
        yield cloud


@pytest.fixture
def cloud_at_boot(hass: HomeAssistant) -> Iterator[MockedCloud]:
    """Pretend to have a subscription whose cloud has not connected yet (Home Assistant starting)."""
    with mocked_cloud(hass, connected=False) as cloud:
        yield cloud


def test_cloud_api_exists() -> None:
    """The cloud functions the integration calls exist in this Home Assistant release."""
    spec = importlib.util.find_spec("homeassistant.components.cloud")
    assert spec is not None
    assert spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    for definition in (
        "def async_is_logged_in(hass: HomeAssistant) -> bool:",
        "def async_is_connected(hass: HomeAssistant) -> bool:",
        "def async_active_subscription(hass: HomeAssistant) -> bool:",
        "def async_listen_connection_change(\n    hass: HomeAssistant,\n"
        "    target: Callable[[CloudConnectionState], Awaitable[None] | None],\n"
        ") -> Callable[[], None]:",
        "async def async_get_or_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:",
        "async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:",
        "async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:",
        "class CloudNotAvailable(HomeAssistantError):",
        "class CloudNotConnected(CloudNotAvailable):",
        'CLOUD_CONNECTED = "cloud_connected"',
        'CLOUD_DISCONNECTED = "cloud_disconnected"',
    ):
        assert definition in source
    if "def async_listen_cloudhook_change(" in source:  # 2025.10 and newer
        assert (
            "def async_listen_cloudhook_change(\n    hass: HomeAssistant,\n    webhook_id: str,\n"
            "    on_change: Callable[[dict[str, Any] | None], None],\n) -> Callable[[], None]:"
        ) in source
        assert '"cloudhook_url"' in source  # the key of the hook's address


def _issue_id(entry: MockConfigEntry) -> str:
    """Return the id of the account's missing-address issue."""
    return f"no_public_url_{entry.entry_id}"


def _external_webhook_url(entry: MockConfigEntry) -> str:
    """Return the account's webhook address on EXTERNAL_URL."""
    return f"{EXTERNAL_URL}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


def _with_cloudhook(entry: MockConfigEntry, hass: HomeAssistant) -> MockConfigEntry:
    """Add the entry to Home Assistant with a cloudhook stored by an earlier run."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL}
    )
    return entry


def _address(entry: MockConfigEntry) -> tuple[str | None, bool]:
    """Return the address the delivery tracker gives SMSPilot, and whether SMS are polled."""
    return entry.runtime_data.delivery.callback_url, entry.runtime_data.mailbox.polling


async def _start_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Enter the demo key and return the step that follows."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: DEMO_API_KEY}
        )
    )


async def _finish_flow(hass: HomeAssistant, result: dict[str, Any]) -> MockConfigEntry:
    """Confirm the last step and return the new entry once it has loaded."""
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    return entry  # type: ignore[return-value]


async def _post_sms_through_the_cloud(
    hass: HomeAssistant, entry: MockConfigEntry, sms_id: int
) -> int:
    """Hand the account's webhook an inbound SMS the way Home Assistant Cloud forwards it."""
    form = "&".join(f"{key}={value}" for key, value in inbound_form(sms_id).items()).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await async_handle_webhook(
        hass,
        entry.data[CONF_WEBHOOK_ID],
        MockRequest(form, mock_source="cloud", method="POST", headers=headers),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return response.status


# --- the config flow's last step ------------------------------------------------------------------


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
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, cloud_subscription: MockedCloud
) -> None:
    """With Home Assistant Cloud the flow makes no hook; the loaded account gets one."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    result = await _start_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "inbound_cloud"
    assert result["description_placeholders"]["url"] == ""
    cloud_subscription.get_or_create.assert_not_awaited()
    cloud_subscription.create.assert_not_awaited()

    entry = await _finish_flow(hass, result)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    cloud_subscription.get_or_create.assert_awaited_once_with(hass, webhook_id)
    cloud_subscription.create.assert_awaited_once_with(hass, webhook_id)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_flow_with_cloud_not_connected(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, cloud_at_boot: MockedCloud
) -> None:
    """A subscription whose cloud is not connected yet still ends with the cloud step."""
    result = await _start_flow(hass)
    assert result["step_id"] == "inbound_cloud"
    entry = await _finish_flow(hass, result)
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert _address(entry) == (None, True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    cloud_at_boot.get_or_create.assert_not_awaited()
    cloud_at_boot.create.assert_not_awaited()


async def test_flow_abandoned_with_cloud_leaves_nothing(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, cloud_subscription: MockedCloud
) -> None:
    """Closing the flow at its last step leaves no entry, no cloudhook and no issue."""
    result = await _start_flow(hass)
    assert result["step_id"] == "inbound_cloud"
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not hass.config_entries.flow.async_progress()
    assert not hass.config_entries.async_entries(DOMAIN)
    cloud_subscription.get_or_create.assert_not_awaited()
    cloud_subscription.create.assert_not_awaited()
    assert cloud_subscription.hooks == {}
    assert not [key for key in issue_registry.issues if key[0] == DOMAIN]


async def test_flow_with_an_expired_subscription(hass: HomeAssistant) -> None:
    """Logged in without an active subscription, the flow offers the external URL."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    with mocked_cloud(hass, subscribed=False, logged_in=True) as cloud:
        result = await _start_flow(hass)
    assert result["step_id"] == "inbound"
    assert result["description_placeholders"]["url"].startswith(f"{EXTERNAL_URL}/api/webhook/")
    cloud.get_or_create.assert_not_awaited()


# --- the repair issue and the external URL ---------------------------------------------------------


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
    assert _address(entry) == (None, True)

    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    assert _address(entry) == (_external_webhook_url(entry), False)


async def test_external_url_removed_later(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """Removing the external URL brings back polling and the issue, without a reload."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, mock_config_entry)
    runtime = entry.runtime_data
    assert _address(entry) == (_external_webhook_url(entry), False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None

    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _address(entry) == (None, True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    assert entry.runtime_data is runtime


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


@pytest.mark.parametrize(
    ("cloud", "external", "stored_hook", "issue", "polling"),
    [
        pytest.param(None, False, False, True, True, id="nothing"),
        pytest.param(None, True, False, False, False, id="external-url"),
        pytest.param("connected", False, False, False, False, id="cloud"),
        pytest.param("boot", False, False, False, True, id="cloud-not-connected-yet"),
        pytest.param("boot", False, True, False, False, id="cloud-not-connected-stored-hook"),
        pytest.param("expired", False, True, True, True, id="expired-subscription"),
        pytest.param("expired", True, True, False, False, id="expired-subscription-external-url"),
        pytest.param("logged-out", False, True, True, True, id="logged-out"),
    ],
)
async def test_issue_only_without_any_address(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud: str | None,
    external: bool,
    stored_hook: bool,
    issue: bool,
    polling: bool,
) -> None:
    """The issue appears only when there is no address and none is coming from the cloud.

    Without an address SMS are polled, also while waiting for the cloud to connect.
    """
    if external:
        await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    if stored_hook:
        _with_cloudhook(mock_config_entry, hass)
    states: dict[str, dict[str, bool]] = {
        "connected": {},
        "boot": {"connected": False},
        "expired": {"subscribed": False, "logged_in": True},
        "logged-out": {"subscribed": False, "logged_in": False},
    }
    if cloud is None:
        entry = await setup_account(hass, mock_config_entry)
    else:
        with mocked_cloud(hass, **states[cloud]):
            entry = await setup_account(hass, mock_config_entry)
    assert entry.state is ConfigEntryState.LOADED
    assert (issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None) is issue
    url, polls = _address(entry)
    assert (url is None) is polling
    assert polls is polling


# --- Home Assistant Cloud at start-up --------------------------------------------------------------


async def test_loaded_account_uses_its_cloudhook(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
) -> None:
    """An account with a cloudhook uses it: no issue, no polling, callbacks to the cloud."""
    entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    cloud_subscription.create.assert_not_awaited()


async def test_loaded_account_gets_a_cloudhook(
    hass: HomeAssistant,
    emulator: Emulator,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
) -> None:
    """Subscribing after adding the account gives it a cloudhook at start-up, kept without a reload."""
    entry = await setup_account(hass, mock_config_entry)
    runtime = entry.runtime_data
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    cloud_subscription.get_or_create.assert_awaited_once_with(hass, webhook_id)
    cloud_subscription.create.assert_awaited_once_with(hass, webhook_id)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    # Not reloaded: one start-up, one user-info request, the same runtime data.
    assert len(user_info_requests(emulator)) == 1
    assert entry.runtime_data is runtime
    assert entry.state is ConfigEntryState.LOADED

    sms_events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    assert await _post_sms_through_the_cloud(hass, entry, 80) == 200
    assert [event.data["id"] for event in sms_events] == [80]


async def test_cloud_hook_from_an_earlier_install_is_reused(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, cloud_subscription: MockedCloud
) -> None:
    """A cloudhook the cloud already keeps for the webhook is taken, not made again."""
    cloud_subscription.hooks[mock_config_entry.data[CONF_WEBHOOK_ID]] = OTHER_CLOUDHOOK_URL
    entry = await setup_account(hass, mock_config_entry)
    cloud_subscription.create.assert_not_awaited()
    assert entry.data[CONF_CLOUDHOOK_URL] == OTHER_CLOUDHOOK_URL
    assert _address(entry) == (OTHER_CLOUDHOOK_URL, False)


@pytest.mark.parametrize("external", [False, True], ids=["no-external-url", "external-url"])
async def test_boot_waits_for_the_cloud(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_at_boot: MockedCloud,
    external: bool,
) -> None:
    """Before the cloud connects there is no issue; once it does, the hook is made once and used."""
    if external:
        await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, mock_config_entry)
    runtime = entry.runtime_data
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    if external:
        assert _address(entry) == (_external_webhook_url(entry), False)
    else:
        assert _address(entry) == (None, True)
    cloud_at_boot.get_or_create.assert_not_awaited()
    assert CONF_CLOUDHOOK_URL not in entry.data

    await cloud_at_boot.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud_at_boot.create.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    assert entry.runtime_data is runtime

    # Connection drops and comes back: the same hook goes on, none is made again.
    await cloud_at_boot.async_disconnect()
    await cloud_at_boot.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud_at_boot.create.assert_awaited_once()
    assert _address(entry) == (CLOUDHOOK_URL, False)


async def test_stored_cloudhook_used_at_boot(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_at_boot: MockedCloud,
) -> None:
    """Before the cloud connects, a stored cloudhook is used as it is, and kept afterwards."""
    entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None

    await cloud_at_boot.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud_at_boot.create.assert_not_awaited()
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)


async def test_cloud_not_ready_when_asked(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloud that disconnects while making the hook delays it to the next connection."""
    cloud_subscription.create.side_effect = cloud_subscription.module.CloudNotConnected
    entry = await setup_account(hass, mock_config_entry)
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert _address(entry) == (None, True)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None

    cloud_subscription.create.side_effect = None
    await cloud_subscription.async_disconnect()
    await cloud_subscription.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert not [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components.smspilot")
    ]


@pytest.mark.parametrize(
    ("logged_in", "kept"), [(True, True), (False, False)], ids=["expired", "logged-out"]
)
async def test_expired_subscription_falls_back(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    logged_in: bool,
    kept: bool,
) -> None:
    """A cloudhook without an active subscription is not used; the external URL is.

    Still logged in (the subscription expired), the hook is kept for a renewal; logged out,
    it no longer reaches this Home Assistant and is forgotten.
    """
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    with mocked_cloud(hass, subscribed=False, logged_in=logged_in) as cloud:
        entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    cloud.get_or_create.assert_not_awaited()
    assert _address(entry) == (_external_webhook_url(entry), False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    assert (CONF_CLOUDHOOK_URL in entry.data) is kept


async def test_cloud_not_set_up_falls_back(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """Without Home Assistant Cloud set up at all, the external URL is used."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    assert _address(entry) == (_external_webhook_url(entry), False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


# --- Home Assistant Cloud while the account runs ------------------------------------------------------


@pytest.mark.parametrize("external", [False, True], ids=["no-external-url", "external-url"])
async def test_logging_out_forgets_the_cloudhook(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
    external: bool,
) -> None:
    """Logged out of the cloud, the account forgets its hook and falls back."""
    if external:
        await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    assert _address(entry) == (CLOUDHOOK_URL, False)

    await cloud_subscription.async_log_out()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert entry.state is ConfigEntryState.LOADED
    if external:
        assert _address(entry) == (_external_webhook_url(entry), False)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    else:
        assert _address(entry) == (None, True)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    cloud_subscription.create.assert_not_awaited()
    cloud_subscription.delete.assert_not_awaited()


@needs_cloudhook_change
@pytest.mark.parametrize("external", [False, True], ids=["no-external-url", "external-url"])
async def test_cloudhook_deleted_in_cloud_settings(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
    external: bool,
) -> None:
    """A hook deleted in the cloud settings is forgotten, not given to SMSPilot, not made again.

    Only a new connection of the cloud makes it again (as the mobile app integration does).
    """
    if external:
        await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, mock_config_entry)
    runtime = entry.runtime_data
    assert _address(entry) == (CLOUDHOOK_URL, False)

    cloud_subscription.delete_in_settings(entry.data[CONF_WEBHOOK_ID])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert CONF_CLOUDHOOK_URL not in entry.data
    cloud_subscription.create.assert_awaited_once()
    assert cloud_subscription.hooks == {}
    if external:
        assert _address(entry) == (_external_webhook_url(entry), False)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
    else:
        assert _address(entry) == (None, True)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    assert entry.runtime_data is runtime

    await cloud_subscription.async_disconnect()
    await cloud_subscription.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cloud_subscription.create.await_count == 2
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert _address(entry) == (CLOUDHOOK_URL, False)
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_cloudhook_deleted_then_external_url_set(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """After the hook is deleted in the cloud settings, a new external URL is used instead.

    Setting the URL is no reconnection of the cloud: the deleted hook stays deleted. (The
    cloudhook listener of Home Assistant 2025.10 is simulated, so this runs on every release.)
    """
    with mocked_cloud(hass, cloudhook_change=True) as cloud:
        entry = await setup_account(hass, mock_config_entry)
        cloud.delete_in_settings(entry.data[CONF_WEBHOOK_ID])
        await hass.async_block_till_done(wait_background_tasks=True)
        assert _address(entry) == (None, True)

        await hass.config.async_update(external_url=EXTERNAL_URL)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert CONF_CLOUDHOOK_URL not in entry.data
        cloud.create.assert_awaited_once()
        assert _address(entry) == (_external_webhook_url(entry), False)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


async def test_cloudhook_made_again_in_cloud_settings(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """A hook deleted and then made again in the cloud settings is kept and given to SMSPilot.

    The cloudhook listener of Home Assistant 2025.10 is simulated, so this runs on every
    release.
    """
    with mocked_cloud(hass, cloudhook_change=True) as cloud:
        entry = await setup_account(hass, mock_config_entry)
        webhook_id = entry.data[CONF_WEBHOOK_ID]
        assert _address(entry) == (CLOUDHOOK_URL, False)
        cloud.delete_in_settings(webhook_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert CONF_CLOUDHOOK_URL not in entry.data
        assert _address(entry) == (None, True)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None

        cloud.create_in_settings(webhook_id, OTHER_CLOUDHOOK_URL)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.data[CONF_CLOUDHOOK_URL] == OTHER_CLOUDHOOK_URL
        assert _address(entry) == (OTHER_CLOUDHOOK_URL, False)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
        cloud.create.assert_awaited_once()

        assert await hass.config_entries.async_unload(entry.entry_id)
        assert cloud.cloudhook_listeners == {webhook_id: []}


async def test_cloud_without_cloudhook_listener(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """Home Assistant 2025.4's cloud (no cloudhook listener): the hook follows the connection."""
    with mocked_cloud(hass, connected=False, cloudhook_change=False) as cloud:
        assert not hasattr(cloud.module, "async_listen_cloudhook_change")
        entry = await setup_account(hass, mock_config_entry)
        assert entry.state is ConfigEntryState.LOADED
        assert _address(entry) == (None, True)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None
        assert cloud.cloudhook_listeners == {}

        await cloud.async_connect()
        await hass.async_block_till_done(wait_background_tasks=True)
        cloud.create.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
        assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
        assert _address(entry) == (CLOUDHOOK_URL, False)

        await cloud.async_log_out()
        await hass.async_block_till_done(wait_background_tasks=True)
        assert CONF_CLOUDHOOK_URL not in entry.data
        assert _address(entry) == (None, True)
        assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is not None
    assert hasattr(cloud.module, "async_listen_cloudhook_change") is cloud_has_cloudhook_change()


async def test_unloaded_account_stops_following_the_cloud(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_at_boot: MockedCloud,
) -> None:
    """An unloaded account listens to the cloud no more: connecting makes no hook for it."""
    entry = await setup_account(hass, mock_config_entry)
    assert cloud_at_boot.connection_listeners
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert cloud_at_boot.connection_listeners == []
    assert not any(cloud_at_boot.cloudhook_listeners.values())

    await cloud_at_boot.async_connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud_at_boot.get_or_create.assert_not_awaited()
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(entry)) is None


# --- the options form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "shown"),
    [("connected", CLOUDHOOK_URL), ("boot", "—"), ("logged-out", "—")],
)
async def test_options_form_shows_the_address_and_changes_nothing(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    cloud: str,
    shown: str,
) -> None:
    """The options form shows the address in use; opening it makes no hook and no reload."""
    states = {
        "connected": {},
        "boot": {"connected": False},
        "logged-out": {"subscribed": False, "logged_in": False},
    }
    with mocked_cloud(hass, **states[cloud]) as mocked:
        entry = await setup_account(hass, mock_config_entry)
        runtime = entry.runtime_data
        data = dict(entry.data)
        calls = mocked.get_or_create.await_count
        requests = len(user_info_requests(emulator))

        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["type"] is FlowResultType.FORM
        assert result["description_placeholders"] == {"url": shown}
        hass.config_entries.options.async_abort(result["flow_id"])
        await hass.async_block_till_done(wait_background_tasks=True)

        assert dict(entry.data) == data
        assert mocked.get_or_create.await_count == calls
        assert mocked.create.await_count == (1 if cloud == "connected" else 0)
        assert len(user_info_requests(emulator)) == requests
        assert entry.runtime_data is runtime
        assert entry.state is ConfigEntryState.LOADED


async def test_options_form_shows_the_external_address(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without the cloud the options form shows the webhook address on the external URL."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    entry = await setup_account(hass, mock_config_entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"] == {"url": _external_webhook_url(entry)}


# --- requests forwarded by the cloud -----------------------------------------------------------------


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
    assert entry.runtime_data.mailbox.rejected == 1


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


# --- removal ---------------------------------------------------------------------------------------


async def test_removal_deletes_the_cloudhook_and_memory(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
) -> None:
    """Deleting the account deletes its cloudhook and moves its inbound memory aside."""
    entry = await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert await _post_sms_through_the_cloud(hass, entry, 78) == 200
    assert await hass.config_entries.async_unload(entry.entry_id)
    key = f"{DOMAIN}.{entry.entry_id}.inbound"
    assert key in hass_storage

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    cloud_subscription.delete.assert_awaited_once_with(hass, webhook_id)
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    # The memory leaves the entry's store; for a while it waits in the tombstone.
    assert key not in hass_storage or TOMBSTONE_KEY in hass_storage
    assert not [k for k in issue_registry.issues if k[0] == DOMAIN]


@pytest.mark.parametrize("error", ["CloudNotAvailable", "ValueError"])
async def test_removal_when_the_cloud_cannot_delete(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    cloud_subscription: MockedCloud,
    error: str,
) -> None:
    """Not logged in any more, or the hook already gone: the account is removed anyway."""
    await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    cloud_subscription.delete.side_effect = getattr(cloud_subscription.module, error, ValueError)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    cloud_subscription.delete.assert_awaited_once_with(
        hass, mock_config_entry.data[CONF_WEBHOOK_ID]
    )
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
    await setup_account(hass, _with_cloudhook(mock_config_entry, hass))
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(mock_config_entry.entry_id) is None


async def test_removal_deletes_a_left_over_issue(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, mock_config_entry: MockConfigEntry
) -> None:
    """An issue kept from an earlier run is deleted with the account even if it never loaded."""
    mock_config_entry.add_to_hass(hass)
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(mock_config_entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_public_url",
    )
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, _issue_id(mock_config_entry)) is None


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
    assert entry.runtime_data.mailbox.rejected == 1
    assert "Error processing webhook" not in caplog.text


async def test_unexpected_failure_answers_without_traceback(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Even an internal fault gives the caller a plain 4xx and the log one line."""
    entry = await setup_account(hass, mock_config_entry)
    form = "&".join(f"{key}={value}" for key, value in inbound_form(79).items()).encode()
    with patch.object(entry.runtime_data.mailbox, "receive", side_effect=RuntimeError("boom")):
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
