"""The Emulator: an aiohttp server speaking SMSPilot API-1, with status timers and fault switches."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
import contextlib
from decimal import Decimal
from enum import Enum, auto
import logging

from aiohttp import web

from .answers import AnswerKind
from .api import handle_api_request
from .control import add_control_routes
from .delivery import Courier
from .faults import Fault, FaultKind, FaultSwitches
from .formats import render
from .inbound import InboundNotRoutedError, route_shared
from .pricing import Prices
from .state import (
    DEFAULT_INBOUND_NUMBER,
    DEMO_API_KEY,
    STATUS_ACCEPTED,
    STATUS_ERROR,
    STATUS_NOT_DELIVERED,
    STATUS_SCHEDULED,
    STATUS_SENT_TO_OPERATOR,
    Account,
    Clock,
    InboundRecord,
    Message,
    RecordedRequest,
    Store,
    demo_account,
    utc_now,
)

LOGGER = logging.getLogger(__package__)
API_PATH = "/api.php"
# In-flight requests get this long to finish when the emulator closes.
SHUTDOWN_TIMEOUT = 2.0
NON_JSON_BODY = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class _Stage(Enum):
    """A step of a message's status life driven by a timer."""

    ACCEPTED = auto()
    SENT_TO_OPERATOR = auto()
    FINAL = auto()


class Emulator:
    """A stateful SMSPilot API-1 server on localhost for tests, demos and browser checks."""

    def __init__(
        self, status_delays: tuple[float, float] = (2.0, 5.0), *, clock: Clock | None = None
    ) -> None:
        """Set up the demo account; `status_delays` are seconds to status 1 and to final."""
        sent_delay, final_delay = status_delays
        if not 0 <= sent_delay <= final_delay:
            raise ValueError("status_delays must be (sent, final) with 0 <= sent <= final")
        self.status_delays = (float(sent_delay), float(final_delay))
        self._store = Store(clock=clock or utc_now)
        self._store.accounts[DEMO_API_KEY] = demo_account()
        self._faults = FaultSwitches()
        self._courier = Courier()
        self._timers: dict[int, list[asyncio.TimerHandle]] = {}
        # Created in start(): an Event belongs to the loop that first waits on it.
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # --- data the tests look at ----------------------------------------------------------------

    @property
    def accounts(self) -> dict[str, Account]:
        """Accounts by API key (mutable: change balance, blocked, senders, webhook URL)."""
        return self._store.accounts

    @property
    def messages(self) -> dict[int, Message]:
        """Every stored outgoing message by server id."""
        return self._store.messages

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request that reached /api.php, oldest first (control endpoints excluded)."""
        return self._store.requests

    @property
    def prices(self) -> Prices:
        """Price per message part of each kind."""
        return self._store.prices

    @prices.setter
    def prices(self, prices: Prices) -> None:
        """Replace the price list."""
        self._store.prices = prices

    @property
    def blacklist(self) -> set[str]:
        """Phones answered with per-message error 212."""
        return self._store.blacklist

    @blacklist.setter
    def blacklist(self, phones: Iterable[str]) -> None:
        """Replace the black list."""
        self._store.blacklist = set(phones)

    @property
    def undeliverable(self) -> set[str]:
        """Phones whose messages end with status -1 and error 604."""
        return self._store.undeliverable

    @undeliverable.setter
    def undeliverable(self, phones: Iterable[str]) -> None:
        """Replace the undeliverable numbers."""
        self._store.undeliverable = set(phones)

    @property
    def shared_number(self) -> str:
        """The shared service number: 2WAY SMS come from it, prefixed SMS to it are routed."""
        return self._store.shared_number

    @shared_number.setter
    def shared_number(self, number: str) -> None:
        """Change the shared number (2WAY SMS already sent keep the number they came from)."""
        self._store.shared_number = number

    @property
    def faults(self) -> list[Fault]:
        """The faults currently switched on."""
        return self._faults.active

    @property
    def store(self) -> Store:
        """Everything the emulator remembers (for the control endpoints)."""
        return self._store

    @property
    def courier(self) -> Courier:
        """The callback and webhook sender (its counters show delivery results)."""
        return self._courier

    @property
    def base_url(self) -> str:
        """The server's root URL, e.g. http://127.0.0.1:8787."""
        if self._port is None:
            raise RuntimeError("The emulator is not running")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The API-1 endpoint, e.g. http://127.0.0.1:8787/api.php."""
        return self.base_url + API_PATH

    @property
    def pending_packets(self) -> int:
        """How many packets still have status timers running."""
        return len(self._timers)

    # --- set-up --------------------------------------------------------------------------------

    def add_account(
        self,
        api_key: str,
        *,
        user_id: int | None = None,
        balance: Decimal = Decimal("1000.00"),
        senders: Iterable[str] = ("INFORM",),
        default_sender: str | None = "INFORM",
        email: str | None = None,
        name: str = "Test User",
        phone: str = "79161234567",
        blocked: bool = False,
        inbound_webhook_url: str | None = None,
        prefix: str | None = None,
        survey_template: bool = True,
    ) -> Account:
        """Add an account reachable by `api_key`; raises ValueError if the key is taken.

        `prefix` (default: the user id) routes SMS to the shared number; without a
        `survey_template` a 2WAY send of free text is refused with error 227.
        """
        if api_key in self._store.accounts:
            raise ValueError("An account with this API key already exists")
        if user_id is None:
            user_id = self._store.take_user_id()
        account = Account(
            api_key=api_key,
            user_id=user_id,
            balance=Decimal(balance),
            senders=tuple(senders),
            default_sender=default_sender,
            email=email if email is not None else f"user{user_id}@example.com",
            name=name,
            phone=phone,
            blocked=blocked,
            inbound_webhook_url=inbound_webhook_url,
            prefix=prefix or "",
            survey_template=survey_template,
        )
        self._store.accounts[api_key] = account
        return account

    def set_fault(
        self, kind: str, count: int | None = None, *, seconds: float | None = None
    ) -> Fault:
        """Make the next `count` API requests (None: all until cleared) misbehave."""
        return self._faults.set(kind, count, seconds=seconds)

    def clear_faults(self) -> None:
        """Switch every fault off."""
        self._faults.clear()

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving on host:port (port 0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("The emulator is already running")
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_get(API_PATH, self._handle_api)
        app.router.add_post(API_PATH, self._handle_api)
        add_control_routes(app, self)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        await self._courier.start()

    async def close(self) -> None:
        """Stop serving, cancel status timers and stop callback delivery; safe to call twice."""
        if self._closing is not None:
            self._closing.set()
        for handles in self._timers.values():
            for handle in handles:
                handle.cancel()
        self._timers.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._courier.close()
        self._port = None

    # --- actions for tests ---------------------------------------------------------------------

    async def complete_all(self) -> int:
        """Move every pending message to its final status now; return when callbacks are sent."""
        completed = 0
        for packet_id, handles in list(self._timers.items()):
            for handle in handles:
                handle.cancel()
            completed += self._advance(packet_id, _Stage.FINAL)
        self._timers.clear()
        await self._courier.drain()
        return completed

    async def inject_inbound(
        self, api_key: str, phone: str, message: str, num: str = DEFAULT_INBOUND_NUMBER
    ) -> InboundRecord:
        """Receive an SMS for an account; POST it to the account's webhook, if any, and wait.

        Any number but the shared one is the account's own and always reaches it. An SMS to
        the shared number (`shared_number`) goes where SMSPilot sends it: to the account whose
        2WAY SMS that phone last got, else to the account whose prefix is the text's first
        word (the prefix removed). When that is not this account, InboundNotRoutedError is
        raised (with the route it took instead, after delivering it there).
        """
        account = self._store.accounts.get(api_key)
        if account is None:
            raise KeyError("No account with this API key")
        if num != self._store.shared_number:
            return await self._deliver_inbound(account, phone, message, num)
        route = route_shared(self._store, num, phone, message, prefer=account)
        if route is None:
            raise InboundNotRoutedError(
                "The SMS to the shared number answers no 2WAY SMS and starts with no prefix"
            )
        record = await self._deliver_inbound(route.account, phone, route.text, num)
        if route.account is not account:
            raise InboundNotRoutedError(
                f"The SMS to the shared number went to user {route.account.user_id} "
                f"({route.reason.value})",
                route,
            )
        return record

    async def reply(self, server_id: int, message: str) -> InboundRecord:
        """Let the subscriber answer a 2WAY SMS: an inbound SMS from its phone to its number.

        The answer is routed like every SMS to the shared number, so it reaches the account
        whose 2WAY SMS to that phone is the newest (normally this SMS's), text unchanged.
        Raises KeyError for an unknown id, ValueError for a message that is not a 2WAY SMS or
        that the subscriber never gets (refused, scheduled, or undeliverable).
        """
        sms = self._store.messages.get(server_id)
        if sms is None:
            raise KeyError("No message with this server id")
        if sms.service_number is None:
            raise ValueError("Only a 2WAY SMS can be answered")
        if (
            sms.status in (STATUS_ERROR, STATUS_SCHEDULED)
            or sms.final_status == STATUS_NOT_DELIVERED
        ):
            raise ValueError("The subscriber does not get this 2WAY SMS")
        route = route_shared(self._store, sms.service_number, sms.phone, message)
        # This SMS is answerable, so the 2WAY rule always finds an account.
        account = route.account if route is not None else self._store.accounts[sms.api_key]
        return await self._deliver_inbound(account, sms.phone, message, sms.service_number)

    async def _deliver_inbound(
        self, account: Account, phone: str, text: str, num: str
    ) -> InboundRecord:
        """Put an inbound SMS into an account's mailbox and POST it to its webhook, if any."""
        record = self._store.new_inbound(phone, text, num)
        account.mailbox.append(record)
        if account.inbound_webhook_url:
            # The field names and order of SMSPilot's real inbound POST.
            form = {
                "phone": record.phone,
                "message": record.text,
                "user_id": str(account.user_id),
                "id": str(record.id),
                "num": record.num,
            }
            record.webhook_delivered = await self._courier.post_form(
                account.inbound_webhook_url, form
            )
        return record

    def summary(self) -> dict[str, object]:
        """Describe the emulator's state as JSON-ready data, never showing an API key in full."""
        statuses = Counter(str(message.status) for message in self._store.messages.values())
        return {
            "api_url": self.api_url if self._port is not None else None,
            "status_delays": list(self.status_delays),
            "shared_number": self._store.shared_number,
            "accounts": [
                {
                    "api_key": _masked(account.api_key),
                    "user_id": account.user_id,
                    "balance": str(account.balance),
                    "blocked": account.blocked,
                    "senders": list(account.senders),
                    "inbound_webhook_url": account.inbound_webhook_url,
                    "prefix": account.prefix,
                    "survey_template": account.survey_template,
                    "messages": len(account.message_ids),
                    "inbound": len(account.mailbox),
                    "inbound_unseen": sum(1 for record in account.mailbox if not record.seen),
                }
                for account in self._store.accounts.values()
            ],
            "messages": {"total": len(self._store.messages), "by_status": dict(statuses)},
            "pending_packets": len(self._timers),
            "requests": len(self._store.requests),
            "callbacks": {"delivered": self._courier.delivered, "failed": self._courier.failed},
            "faults": [
                {"kind": str(fault.kind), "remaining": fault.remaining, "seconds": fault.seconds}
                for fault in self._faults.active
            ],
        }

    # --- internals -----------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Answer /api.php, after recording the request and applying any faults."""
        params = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        self._store.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                params=params,
                query=request.query_string,
            )
        )
        plan = self._faults.take()
        if plan.delay > 0 and self._closing is not None:
            # Waking up early on close keeps close() quick while a slow answer is pending.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), plan.delay)
        match plan.breakage:
            case FaultKind.DROP_CONNECTION:
                # Nothing can be written to a closed transport: aiohttp drops the answer.
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            case FaultKind.HTTP_500:
                return web.Response(status=500, text="500 Internal Server Error")
            case FaultKind.NON_JSON:
                return web.Response(text=NON_JSON_BODY, content_type="text/html")
            case _:
                pass
        answer = handle_api_request(
            self._store,
            params,
            request.remote or "127.0.0.1",
            loop_protection=lambda: self._faults.consume(FaultKind.LOOP_PROTECTION),
        )
        if answer.packet:
            self._schedule(answer.packet)
        if answer.kind is AnswerKind.ERROR:
            LOGGER.debug("API request refused: %s", answer.body)
        body, content_type = render(answer, params)
        return web.Response(text=body, content_type=content_type, charset="utf-8")

    def _schedule(self, packet: list[Message]) -> None:
        """Start the status timers of a freshly stored packet."""
        pending = [message for message in packet if not message.is_final]
        if not pending or (self._closing is not None and self._closing.is_set()):
            # After close() has cancelled the timers no new ones may start.
            return
        loop = asyncio.get_running_loop()
        first = pending[0]
        start = 0.0
        if first.status == STATUS_SCHEDULED and first.send_at is not None:
            start = max((first.send_at - self._store.now()).total_seconds(), 0.0)
        sent_delay, final_delay = self.status_delays
        packet_id = first.packet_id
        handles: list[asyncio.TimerHandle] = []
        if first.status == STATUS_SCHEDULED:
            handles.append(loop.call_later(start, self._advance, packet_id, _Stage.ACCEPTED))
        handles.append(
            loop.call_later(start + sent_delay, self._advance, packet_id, _Stage.SENT_TO_OPERATOR)
        )
        handles.append(loop.call_later(start + final_delay, self._advance, packet_id, _Stage.FINAL))
        self._timers[packet_id] = handles

    def _advance(self, packet_id: int, stage: _Stage) -> int:
        """Move a packet's unfinished messages to a stage, queueing callbacks; count them."""
        if stage is _Stage.FINAL:
            self._timers.pop(packet_id, None)
        now = self._store.now()
        changed = 0
        for server_id in self._store.packets.get(packet_id, ()):
            message = self._store.messages.get(server_id)
            if message is None or message.is_final:
                continue
            match stage:
                case _Stage.ACCEPTED:
                    status, error = STATUS_ACCEPTED, None
                case _Stage.SENT_TO_OPERATOR:
                    status, error = STATUS_SENT_TO_OPERATOR, None
                case _Stage.FINAL:
                    status, error = message.final_status, message.final_error
            if message.status == status:
                continue
            message.status, message.error, message.modified = status, error, now
            changed += 1
            self._courier.report_status(message)
        return changed


def _masked(api_key: str) -> str:
    """Show only the ends of an API key."""
    if len(api_key) <= 8:
        return "*" * len(api_key)
    return f"{api_key[:4]}...{api_key[-4:]}"
