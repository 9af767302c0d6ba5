"""Helpers shared by the inbound-SMS and webhook tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
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


@dataclass(slots=True)
class MockedCloud:
    """Home Assistant Cloud as the tests see it: its module and the hook calls made."""

    module: ModuleType
    create: AsyncMock
    delete: AsyncMock


def _cloud_module() -> tuple[ModuleType, bool]:
    """Return Home Assistant Cloud's module, or a stand-in when it cannot be imported.

    The newest release's cloud component imports voice packages this test environment
    lacks; the stand-in has just the names the integration uses (checked against the
    real source in the tests).
    """
    try:
        from homeassistant.components import cloud
    except ImportError:
        stub = ModuleType("homeassistant.components.cloud")

        class CloudNotAvailable(HomeAssistantError):  # noqa: N818 - the real name
            """Stand-in for cloud.CloudNotAvailable."""

        class CloudNotConnected(CloudNotAvailable):
            """Stand-in for cloud.CloudNotConnected."""

        async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
            """Stand-in for cloud.async_create_cloudhook."""
            raise CloudNotAvailable

        async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
            """Stand-in for cloud.async_delete_cloudhook."""
            raise CloudNotAvailable

        stub.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
        stub.CloudNotConnected = CloudNotConnected  # type: ignore[attr-defined]
        stub.async_active_subscription = lambda hass: False  # type: ignore[attr-defined]
        stub.async_create_cloudhook = async_create_cloudhook  # type: ignore[attr-defined]
        stub.async_delete_cloudhook = async_delete_cloudhook  # type: ignore[attr-defined]
        return stub, True
    return cloud, False


@contextmanager
def mocked_cloud(hass: HomeAssistant, *, subscribed: bool = True) -> Iterator[MockedCloud]:
    """Pretend Home Assistant Cloud is set up, with or without an active subscription."""
    module, is_stub = _cloud_module()
    with ExitStack() as stack:
        if is_stub:
            stack.enter_context(patch.dict(sys.modules, {module.__name__: module}))
        stack.enter_context(
            patch.object(module, "async_active_subscription", return_value=subscribed)
        )
        create = stack.enter_context(
            patch.object(module, "async_create_cloudhook", AsyncMock(return_value=CLOUDHOOK_URL))
        )
        delete = stack.enter_context(patch.object(module, "async_delete_cloudhook", AsyncMock()))
        hass.config.components.add("cloud")
        try:
            yield MockedCloud(module=module, create=create, delete=delete)
        finally:
            if "cloud" in hass.config.components:
                hass.config.components.remove("cloud")
