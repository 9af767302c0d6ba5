"""Outgoing HTTP from the emulator: status callbacks (in order) and inbound-SMS webhooks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging

import aiohttp
from yarl import URL

from .answers import callback_params
from .state import Message

LOGGER = logging.getLogger(__package__)
# SMSPilot gives a status script 30 s; a test tool should not hang that long on a dead receiver.
DELIVERY_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusCallback:
    """One status change to report, frozen at the moment it happened."""

    url: str
    method: str
    params: dict[str, str]


class Courier:
    """Delivers status callbacks one at a time, in the order the statuses changed."""

    def __init__(self) -> None:
        """Prepare an idle courier; `start` opens its HTTP session."""
        self._session: aiohttp.ClientSession | None = None
        self._queue: asyncio.Queue[StatusCallback] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0

    async def start(self) -> None:
        """Open the HTTP session and start the callback worker on the running loop."""
        self._session = aiohttp.ClientSession(timeout=DELIVERY_TIMEOUT)
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(
            self._deliver_callbacks(self._queue), name="smspilot-callbacks"
        )

    async def close(self) -> None:
        """Stop the worker (dropping undelivered callbacks) and close the session."""
        if self._worker is not None:
            self._worker.cancel()
            # wait() does not re-raise the worker's cancellation, only our own.
            await asyncio.wait([self._worker])
            self._worker = None
        self._queue = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def report_status(self, message: Message) -> None:
        """Queue a callback for a message's current status, if it asked for callbacks."""
        if message.callback is None or self._queue is None:
            return
        self._queue.put_nowait(
            StatusCallback(
                url=message.callback,
                method=message.callback_method,
                params=callback_params(message, message.callback),
            )
        )

    async def drain(self) -> None:
        """Wait until every queued callback has been attempted."""
        if self._queue is not None and self._worker is not None:
            await self._queue.join()

    async def post_form(self, url: str, form: dict[str, str]) -> bool:
        """POST a form (used for inbound-SMS webhooks); return True on a 2xx answer."""
        return await self._request("post", url, form)

    async def _deliver_callbacks(self, queue: asyncio.Queue[StatusCallback]) -> None:
        """Work through the callback queue until cancelled."""
        while True:
            callback = await queue.get()
            try:
                await self._request(callback.method, callback.url, callback.params)
            finally:
                queue.task_done()

    async def _request(self, method: str, url: str, params: dict[str, str]) -> bool:
        """Call a receiver once; failures are counted and logged at debug, never raised."""
        if self._session is None:
            return False
        try:
            if method == "post":
                response = await self._session.post(URL(url), data=params)
            else:
                response = await self._session.get(URL(url).update_query(params))
            async with response:
                await response.read()
                ok = response.ok
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            LOGGER.debug("Delivery to %s failed: %s", _without_credentials(url), err)
            self.failed += 1
            return False
        if ok:
            self.delivered += 1
        else:
            LOGGER.debug(
                "Delivery to %s answered HTTP %s", _without_credentials(url), response.status
            )
            self.failed += 1
        return ok


def _without_credentials(url: str) -> str:
    """Return a receiver URL fit for a log line (no user:password part)."""
    try:
        return str(URL(url).with_user(None))
    except ValueError:
        return "<invalid URL>"
