"""A no-op webhook in the same Home Assistant: what any webhook costs before our handler runs."""

from __future__ import annotations

from aiohttp import hdrs
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_noop"
WEBHOOK_ID = "bench-noop"

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


async def _handle(hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
    """Read the body and answer 200, like the SMSPilot webhook minus its work."""
    await request.read()
    return Response()


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the no-op webhook."""
    webhook.async_register(
        hass, DOMAIN, "Benchmark no-op", WEBHOOK_ID, _handle, allowed_methods=(hdrs.METH_POST,)
    )
    return True
