"""Counts inbound SMS as Home Assistant announces them, for the twilio comparison benchmark.

Every observation is a (SMS id, CLOCK_MONOTONIC ns) pair taken inside Home Assistant when the
bus or the state machine tells of it; the load generator's clock is the same, so times line up
with when each request was sent and answered. The benchmark reads them through this view:

- POST /api/bench_announce/reset: forget what was seen, (re)watch the SMSPilot entities;
  answers which entities are watched and whether the recorder runs.
- GET /api/bench_announce/count: how many of each kind were seen (polled while draining).

Reset and count also answer the event loop thread's CPU time (`time.thread_time_ns`, read in
the view, which runs on that thread), so a run's CPU cost is the difference.
- GET /api/bench_announce: every observation.
- POST /api/bench_announce/twilio: add the core twilio integration's webhook entry.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
import time
from types import MappingProxyType
from typing import Any

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_announce"
CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)

TWILIO_EVENT = "twilio_data_received"
SMSPILOT_EVENT = "smspilot_sms_received"
# The kinds of observation, as the view reports them.
KINDS = ("twilio_event", "smspilot_event", "event_entity", "sensor")


def twilio_sid(sms_id: int) -> str:
    """Return the MessageSid the benchmark gives SMS number `sms_id` (Twilio's shape)."""
    return f"SM{sms_id:032x}"


def _sid_number(sid: Any) -> int:
    """Return the number inside a benchmark MessageSid, or -1."""
    try:
        return int(str(sid)[2:], 16)
    except ValueError:
        return -1


def _int(value: Any) -> int:
    """Return an SMS id from event data or state attributes, or -1."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class Counter:
    """The observations of one measured run."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen on the bus for both integrations' events; entities are watched on reset."""
        self.hass = hass
        self.seen: dict[str, list[tuple[int, int]]] = {kind: [] for kind in KINDS}
        self.entities: dict[str, str] = {}
        self._stop_tracking: Callable[[], None] | None = None
        hass.bus.async_listen(TWILIO_EVENT, self._twilio_event)
        hass.bus.async_listen(SMSPILOT_EVENT, self._smspilot_event)

    @callback
    def _twilio_event(self, event: Event) -> None:
        """Record core twilio's announcement of one SMS."""
        self.seen["twilio_event"].append(
            (_sid_number(event.data.get("MessageSid")), time.monotonic_ns())
        )

    @callback
    def _smspilot_event(self, event: Event) -> None:
        """Record our bus event for one SMS."""
        self.seen["smspilot_event"].append((_int(event.data.get("id")), time.monotonic_ns()))

    @callback
    def _state_changed(self, event: Event[EventStateChangedData]) -> None:
        """Record a new state of the event entity or the last-inbound-message sensor."""
        now = time.monotonic_ns()
        if (state := event.data["new_state"]) is None:
            return
        kind = self.entities.get(event.data["entity_id"])
        if kind is not None:
            self.seen[kind].append((_int(state.attributes.get("id")), now))

    @callback
    def reset(self) -> None:
        """Forget the observations and watch the SMSPilot entities that exist now."""
        for values in self.seen.values():
            values.clear()
        entities: dict[str, str] = {}
        for entry in er.async_get(self.hass).entities.values():
            if entry.platform != "smspilot" or "inbound" not in (entry.unique_id or ""):
                continue
            if entry.domain == "event":
                entities[entry.entity_id] = "event_entity"
            elif entry.domain == "sensor" and "last_inbound" in entry.unique_id:
                entities[entry.entity_id] = "sensor"
        if entities != self.entities or self._stop_tracking is None:
            if self._stop_tracking is not None:
                self._stop_tracking()
            self.entities = entities
            self._stop_tracking = async_track_state_change_event(
                self.hass, list(entities), self._state_changed
            )


class CounterView(HomeAssistantView):
    """Read or reset the observations."""

    url = "/api/bench_announce"
    # An instance attribute in HomeAssistantView, so not a ClassVar here.
    extra_urls = ["/api/bench_announce/{action}"]  # noqa: RUF012
    name = "api:bench_announce"

    def __init__(self, counter: Counter) -> None:
        """Serve this counter."""
        self.counter = counter

    async def get(self, request: Request, action: str = "") -> Response:
        """Answer the counts, or every observation."""
        seen = self.counter.seen
        if action == "count":
            return self.json(
                {
                    "counts": {kind: len(values) for kind, values in seen.items()},
                    "cpu_ns": time.thread_time_ns(),
                }
            )
        return self.json(seen)

    async def post(self, request: Request, action: str = "") -> Response:
        """Reset, or add the twilio entry."""
        hass = self.counter.hass
        if action == "reset":
            self.counter.reset()
            return self.json(
                {
                    "entities": self.counter.entities,
                    "recorder": "recorder" in hass.config.components,
                    "cpu_ns": time.thread_time_ns(),
                }
            )
        if action == "twilio":
            return self.json(await _async_add_twilio(hass))
        return self.json_message("unknown action", 404)


async def _async_add_twilio(hass: HomeAssistant) -> dict[str, str]:
    """Add the entry core twilio's config flow would create, and return its webhook address.

    The flow's only step imports Home Assistant Cloud (to offer a cloudhook), and the cloud
    package cannot be imported without the voice and camera packages the benchmark
    environment lacks; without a cloud subscription the flow stores just this data.
    """
    if existing := hass.config_entries.async_entries("twilio"):
        entry = existing[0]
    else:
        arguments: dict[str, Any] = {
            "data": {CONF_WEBHOOK_ID: webhook.async_generate_id(), "cloudhook": False},
            "discovery_keys": MappingProxyType({}),
            "domain": "twilio",
            "minor_version": 1,
            "options": {},
            "source": SOURCE_USER,
            "subentries_data": None,
            "title": "Twilio Webhook",
            "unique_id": None,
            "version": 1,
        }
        accepted = inspect.signature(ConfigEntry).parameters
        entry = ConfigEntry(**{key: value for key, value in arguments.items() if key in accepted})
        await hass.config_entries.async_add(entry)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    return {
        "entry_id": entry.entry_id,
        "state": entry.state.value,
        "url": webhook.async_generate_url(hass, webhook_id),
    }


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start counting and serve the view."""
    hass.http.register_view(CounterView(Counter(hass)))
    return True
