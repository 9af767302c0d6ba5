"""Helpers shared by the inbound-SMS and webhook tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from enum import Enum
import sys
from types import ModuleType
from typing import Any, Final
from unittest.mock import AsyncMock, patch

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.const import DOMAIN
from smspilot_emulator import DEMO_USER_ID


def inbound_form(sms_id: int = 54321, **overrides: str) -> dict[str, str]:
    """Return SMSPilot's inbound POST form (the field order of its documentation)."""
    form = {
        "phone": "79087964781",
        "message": "restart server alfa",
        "user_id": str(DEMO_USER_ID),
        "id": str(sms_id),
        "num": "79533984570",
    }
    form.update(overrides)
    return form


def webhook_path(entry: MockConfigEntry) -> str:
    """Return the path of the account's webhook."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of one of the demo account's entities."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{DEMO_USER_ID}_{key}")
    assert found is not None
    return found


async def setup_account(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set up an account with webhooks available, and wait for its start-up fetch."""
    assert await async_setup_component(hass, "webhook", {})
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries(DOMAIN)}:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def serve_http(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, *, external: bool = True
) -> TestClient:
    """Serve Home Assistant on 127.0.0.1, by default also as its external URL.

    Call it after the account is set up: the test server takes no new routes once started.
    With the external URL, the emulator can call the webhook like SMSPilot would.
    """
    client = await hass_client_no_auth()
    if external:
        await hass.config.async_update(external_url=str(client.make_url("")).rstrip("/"))
        await hass.async_block_till_done(wait_background_tasks=True)
    return client


async def post_form(client: TestClient, path: str, form: dict[str, Any]) -> int:
    """POST a URL-encoded form and return the HTTP status."""
    async with client.post(path, data=form) as response:
        await response.read()
        return response.status


CLOUDHOOK_URL = "https://hooks.nabu.casa/ABCDEFGHIJ"
CLOUDHOOK_CHANGE: Final = "async_listen_cloudhook_change"

type ConnectionListener = Callable[[Any], Awaitable[None] | None]
type CloudhookListener = Callable[[dict[str, Any] | None], None]


@dataclass(slots=True, kw_only=True)
class MockedCloud:
    """Home Assistant Cloud as the tests see it: its state, its hooks and the calls made.

    `hooks` are the cloudhooks the cloud account keeps (webhook id to address), as in the
    cloud settings. The `async_*` methods play what the cloud does and tell the listeners the
    integration registered, the way Home Assistant's dispatcher would.
    """

    module: ModuleType
    subscribed: bool
    connected: bool
    logged_in: bool
    get_or_create: AsyncMock
    create: AsyncMock
    delete: AsyncMock
    hooks: dict[str, str] = field(default_factory=dict)
    connection_listeners: list[ConnectionListener] = field(default_factory=list)
    cloudhook_listeners: dict[str, list[CloudhookListener]] = field(default_factory=dict)

    async def async_connect(self) -> None:
        """Connect to the cloud (as at the end of Home Assistant's start) and tell listeners."""
        self.connected = True
        await self._async_tell_connection(self.module.CloudConnectionState.CLOUD_CONNECTED)

    async def async_disconnect(self) -> None:
        """Lose the cloud connection (still logged in) and tell listeners."""
        self.connected = False
        await self._async_tell_connection(self.module.CloudConnectionState.CLOUD_DISCONNECTED)

    async def async_log_out(self) -> None:
        """Log out of the cloud: the subscription goes and the connection closes."""
        self.subscribed = self.logged_in = False
        await self.async_disconnect()

    def delete_in_settings(self, webhook_id: str) -> None:
        """Delete a cloudhook in the cloud settings (the cloud says None to its listeners)."""
        self.hooks.pop(webhook_id, None)
        for listener in list(self.cloudhook_listeners.get(webhook_id, ())):
            listener(None)

    def create_in_settings(self, webhook_id: str, url: str) -> None:
        """Make a cloudhook in the cloud settings and tell its listeners."""
        self.hooks[webhook_id] = url
        hook = {"webhook_id": webhook_id, "cloudhook_url": url, "managed": True}
        for listener in list(self.cloudhook_listeners.get(webhook_id, ())):
            listener(dict(hook))

    async def _async_tell_connection(self, state: Any) -> None:
        for listener in list(self.connection_listeners):
            if isinstance(result := listener(state), Awaitable):
                await result

    def listen_connection(self, hass: HomeAssistant, target: ConnectionListener) -> CALLBACK_TYPE:
        """Stand in for cloud.async_listen_connection_change: keep the target."""
        self.connection_listeners.append(target)
        return lambda: self.connection_listeners.remove(target)

    def listen_cloudhook(
        self, hass: HomeAssistant, webhook_id: str, on_change: CloudhookListener
    ) -> CALLBACK_TYPE:
        """Stand in for cloud.async_listen_cloudhook_change (2025.10 and newer)."""
        listeners = self.cloudhook_listeners.setdefault(webhook_id, [])
        listeners.append(on_change)
        return lambda: listeners.remove(on_change)

    async def get_or_create_hook(self, hass: HomeAssistant, webhook_id: str) -> str:
        """Stand in for cloud.async_get_or_create_cloudhook, over `hooks` and `create`."""
        if not self.connected:
            raise self.module.CloudNotConnected
        if not self.logged_in:
            raise self.module.CloudNotAvailable
        if webhook_id not in self.hooks:
            self.hooks[webhook_id] = await self.create(hass, webhook_id)
        return self.hooks[webhook_id]

    def delete_hook(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Stand in for cloud.async_delete_cloudhook."""
        self.hooks.pop(webhook_id, None)


def _cloud_module() -> tuple[ModuleType, bool]:
    """Return Home Assistant Cloud's module, or a stand-in when it cannot be imported.

    The newest release's cloud component imports voice packages this test environment
    lacks; the stand-in has just the names the integration uses (checked against the
    real source in the tests), like Home Assistant 2025.4 without the cloudhook listener.
    """
    try:
        from homeassistant.components import cloud
    except ImportError:
        stub = ModuleType("homeassistant.components.cloud")

        class CloudNotAvailable(HomeAssistantError):  # noqa: N818 - the real name
            """Stand-in for cloud.CloudNotAvailable."""

        class CloudNotConnected(CloudNotAvailable):
            """Stand-in for cloud.CloudNotConnected."""

        class CloudConnectionState(Enum):
            """Stand-in for cloud.CloudConnectionState."""

            CLOUD_CONNECTED = "cloud_connected"
            CLOUD_DISCONNECTED = "cloud_disconnected"

        async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
            """Stand-in for cloud.async_create_cloudhook."""
            raise CloudNotAvailable

        async def async_get_or_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
            """Stand-in for cloud.async_get_or_create_cloudhook."""
            raise CloudNotAvailable

        async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
            """Stand-in for cloud.async_delete_cloudhook."""
            raise CloudNotAvailable

        def async_listen_connection_change(
            hass: HomeAssistant, target: ConnectionListener
        ) -> CALLBACK_TYPE:
            """Stand-in for cloud.async_listen_connection_change."""
            return lambda: None

        stub.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
        stub.CloudNotConnected = CloudNotConnected  # type: ignore[attr-defined]
        stub.CloudConnectionState = CloudConnectionState  # type: ignore[attr-defined]
        stub.async_is_logged_in = lambda hass: False  # type: ignore[attr-defined]
        stub.async_is_connected = lambda hass: False  # type: ignore[attr-defined]
        stub.async_active_subscription = lambda hass: False  # type: ignore[attr-defined]
        stub.async_listen_connection_change = async_listen_connection_change  # type: ignore[attr-defined]
        stub.async_get_or_create_cloudhook = async_get_or_create_cloudhook  # type: ignore[attr-defined]
        stub.async_create_cloudhook = async_create_cloudhook  # type: ignore[attr-defined]
        stub.async_delete_cloudhook = async_delete_cloudhook  # type: ignore[attr-defined]
        return stub, True
    return cloud, False


def cloud_has_cloudhook_change() -> bool:
    """Tell whether this Home Assistant's cloud follows cloudhooks (2025.10 and newer)."""
    return hasattr(_cloud_module()[0], CLOUDHOOK_CHANGE)


@contextmanager
def mocked_cloud(
    hass: HomeAssistant,
    *,
    subscribed: bool = True,
    connected: bool | None = None,
    logged_in: bool | None = None,
    cloudhook_change: bool | None = None,
) -> Iterator[MockedCloud]:
    """Pretend Home Assistant Cloud is set up, with or without an active subscription.

    By default the cloud is connected and logged in exactly when subscribed (an expired
    subscription: `subscribed=False, logged_in=True`; at boot: `connected=False`).
    `cloudhook_change` chooses the cloudhook listener: None follows this Home Assistant
    release (2025.10 and newer have it), True offers it even where the release lacks it (the
    newer behaviour simulated), False hides it (Home Assistant 2025.4).
    """
    module, is_stub = _cloud_module()
    state = MockedCloud(
        module=module,
        subscribed=subscribed,
        connected=subscribed if connected is None else connected,
        logged_in=subscribed if logged_in is None else logged_in,
        get_or_create=AsyncMock(),
        create=AsyncMock(return_value=CLOUDHOOK_URL),
        delete=AsyncMock(),
    )
    state.get_or_create.side_effect = state.get_or_create_hook
    state.delete.side_effect = state.delete_hook
    with ExitStack() as stack:
        if is_stub:
            stack.enter_context(patch.dict(sys.modules, {module.__name__: module}))

        def patch_cloud(name: str, new: Any, *, create: bool = False) -> None:
            stack.enter_context(patch.object(module, name, new, create=create))

        patch_cloud("async_active_subscription", lambda hass: state.subscribed)
        patch_cloud("async_is_connected", lambda hass: state.connected)
        patch_cloud("async_is_logged_in", lambda hass: state.logged_in)
        patch_cloud("async_get_or_create_cloudhook", state.get_or_create)
        patch_cloud("async_create_cloudhook", state.create)
        patch_cloud("async_delete_cloudhook", state.delete)
        patch_cloud("async_listen_connection_change", state.listen_connection)
        if cloudhook_change or (cloudhook_change is None and hasattr(module, CLOUDHOOK_CHANGE)):
            patch_cloud(CLOUDHOOK_CHANGE, state.listen_cloudhook, create=True)
        elif hasattr(module, CLOUDHOOK_CHANGE):
            real = getattr(module, CLOUDHOOK_CHANGE)
            delattr(module, CLOUDHOOK_CHANGE)
            stack.callback(setattr, module, CLOUDHOOK_CHANGE, real)
        hass.config.components.add("cloud")
        try:
            yield state
        finally:
            if "cloud" in hass.config.components:
                hass.config.components.remove("cloud")
