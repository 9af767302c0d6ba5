"""Secrets stay secret: no API key or webhook id in diagnostics, exception texts or logs.

The logs of the whole suite are checked by tests/plugin_secrets.py (registered in
tests/conftest.py); the tests here look at diagnostics and at every error a send can end in,
against an SMSPilot that echoes the key and the callback address in its error texts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import json
import logging
import sys
from typing import Any

from aiohttp import web
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smspilot.const import CONF_API_URL, CONF_CLOUDHOOK_URL, DOMAIN
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID

from .conftest import WEBHOOK_ID
from .inbound_helpers import CLOUDHOOK_URL, mocked_cloud, setup_account

PHONE = "79087964781"
EXTERNAL_URL = "https://ha.example.com"


def _texts(err: BaseException) -> Iterator[str]:
    """Yield every text an exception (and what caused it) shows: str, repr, placeholders."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        placeholders = getattr(current, "translation_placeholders", None) or {}
        yield from (str(value) for value in placeholders.values())
        for name in ("description", "description_ru", "message"):
            yield str(getattr(current, name, ""))
        yield from (str(value) for value in (getattr(current, "details", None) or {}).values())
        current = current.__cause__ or current.__context__


def _secrets_in(texts: Iterator[str], *secrets: str) -> list[str]:
    """Return the texts that show any of the secrets."""
    return [text for text in texts if any(secret in text for secret in secrets)]


# --- diagnostics --------------------------------------------------------------------------------


async def test_diagnostics_show_no_key_and_no_webhook_id(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Diagnostics of a loaded account hold neither the key nor the webhook id."""
    await setup_account(hass, mock_config_entry)
    text = json.dumps(
        await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry),
        ensure_ascii=False,
    )
    assert DEMO_API_KEY not in text
    assert WEBHOOK_ID not in text


async def test_diagnostics_show_no_cloud_webhook_address(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The Home Assistant Cloud address of the webhook is as secret as its id."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL},
    )
    with mocked_cloud(hass):
        await setup_account(hass, entry)
        text = json.dumps(
            await get_diagnostics_for_config_entry(hass, hass_client, entry), ensure_ascii=False
        )
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert DEMO_API_KEY not in text
    assert WEBHOOK_ID not in text
    assert CLOUDHOOK_URL not in text


# --- exception texts ----------------------------------------------------------------------------


class EchoingSmsPilot:
    """An SMSPilot that refuses every send with an error text echoing the key and callback."""

    def __init__(self) -> None:
        """Answer sends with `code` until told otherwise."""
        self.code = 101
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Answer user info and inbound normally; refuse sends and status checks."""
        form = dict(await request.post())
        if "send" in form or "check" in form:
            echo = f"key={form.get('apikey')} callback={form.get('callback')}"
            return web.json_response(
                {
                    "error": {
                        "code": str(self.code),
                        "description": f"Refused: {echo}",
                        "description_ru": f"Отказ: {echo}",
                        "phone": str(form.get("apikey")),
                    }
                }
            )
        if "inbound" in form:
            return web.json_response({"inbound": []})
        return web.json_response(
            {
                "id": str(DEMO_USER_ID),
                "tariff_id": "5",
                "email": "info@example.com",
                "name": "Test",
                "phone": PHONE,
                "balance": "100.00",
                "date": "2010-06-03 09:45:41",
                "default_sender": "INFORM",
                "senders": "INFORM",
            }
        )


@pytest.fixture
async def echoing_smspilot(socket_enabled: None) -> AsyncIterator[EchoingSmsPilot]:
    """Serve the echoing SMSPilot on 127.0.0.1."""
    server = EchoingSmsPilot()
    app = web.Application()
    app.router.add_post("/api.php", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api.php"
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.fixture
async def echo_account(hass: HomeAssistant, echoing_smspilot: EchoingSmsPilot) -> MockConfigEntry:
    """Set up an account on the echoing SMSPilot, with a public webhook address."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSPilot",
        unique_id=str(DEMO_USER_ID),
        data={
            CONF_API_KEY: DEMO_API_KEY,
            CONF_API_URL: echoing_smspilot.url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    await setup_account(hass, entry)
    assert entry.runtime_data.delivery.callback_url == f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}"
    return entry


async def _send_error(
    hass: HomeAssistant, service: str, data: dict[str, Any]
) -> HomeAssistantError:
    """Call an action that must fail and return its error."""
    with pytest.raises(HomeAssistantError) as failure:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=True)
    return failure.value


# 101 key refused, 241 no money, 118 rate limit, 111 bad phone, 223 advertising, 9999 unknown.
KEY_ECHO_CODES = [101, 241, 118, 111, 223, 9999]


@pytest.mark.parametrize("code", KEY_ECHO_CODES)
async def test_send_errors_never_show_the_key(
    hass: HomeAssistant,
    echoing_smspilot: EchoingSmsPilot,
    echo_account: MockConfigEntry,
    code: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever SMSPilot says when refusing a send, the key is not in the error or the log."""
    caplog.set_level(logging.DEBUG)
    echoing_smspilot.code = code
    err = await _send_error(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert _secrets_in(_texts(err), DEMO_API_KEY) == []
    assert DEMO_API_KEY not in caplog.text


async def test_status_check_errors_never_show_the_key(
    hass: HomeAssistant, echoing_smspilot: EchoingSmsPilot, echo_account: MockConfigEntry
) -> None:
    """A refused status check (303, unknown ids) shows neither the key nor the webhook id."""
    echoing_smspilot.code = 303
    err = await _send_error(hass, "check_status", {"server_ids": ["1"]})
    assert _secrets_in(_texts(err), DEMO_API_KEY, WEBHOOK_ID) == []


@pytest.mark.parametrize("code", [260, 9999])
async def test_send_errors_never_show_the_webhook_id(
    hass: HomeAssistant,
    echoing_smspilot: EchoingSmsPilot,
    echo_account: MockConfigEntry,
    code: int,
) -> None:
    """An error text echoing the callback address does not put the webhook id in the error."""
    echoing_smspilot.code = code
    err = await _send_error(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert _secrets_in(_texts(err), WEBHOOK_ID) == []


async def test_unreachable_smspilot_errors_show_no_secret(
    hass: HomeAssistant, echo_account: MockConfigEntry, echoing_smspilot: EchoingSmsPilot
) -> None:
    """A connection failure's error names neither the key nor the webhook id."""
    # Nothing listens on port 9: the connection is refused.
    echo_account.runtime_data.client._api_url = "http://127.0.0.1:9/api.php"
    err = await _send_error(hass, "send_sms", {"to": PHONE, "message": "Hi"})
    assert err.translation_key == "connection_failed"
    assert _secrets_in(_texts(err), DEMO_API_KEY, WEBHOOK_ID) == []


# --- the session-wide log check -----------------------------------------------------------------


def test_the_session_log_check_is_on() -> None:
    """tests/plugin_secrets.py watches this session's logs (registered in tests/conftest.py)."""
    plugin = sys.modules.get("tests.plugin_secrets")
    assert plugin is not None, 'add pytest_plugins = ["tests.plugin_secrets"] to tests/conftest.py'
    assert plugin._COLLECTOR in logging.getLogger().handlers
    assert DEMO_API_KEY in plugin.SECRETS.api_keys
    assert logging.getLogger("custom_components.smspilot").level == logging.DEBUG
