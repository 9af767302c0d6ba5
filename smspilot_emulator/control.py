"""HTTP control endpoints under /emulator/ for people and browser tests (never recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .answers import inbound_item
from .faults import FaultKind
from .inbound import InboundNotRoutedError

if TYPE_CHECKING:
    from .server import Emulator


def add_control_routes(app: web.Application, emulator: Emulator) -> None:
    """Register the /emulator/* endpoints of an emulator on its application."""
    control = _Control(emulator)
    app.router.add_post("/emulator/inbound", control.inbound)
    app.router.add_post("/emulator/reply", control.reply)
    app.router.add_post("/emulator/complete", control.complete)
    app.router.add_post("/emulator/faults", control.set_fault)
    app.router.add_delete("/emulator/faults", control.clear_faults)
    app.router.add_get("/emulator/state", control.state)
    app.router.add_post("/emulator/accounts/{api_key}/webhook", control.set_webhook)
    app.router.add_post("/emulator/accounts/{api_key}/two_way", control.set_two_way)
    app.router.add_post("/emulator/accounts/{api_key}/prefix", control.set_prefix)


SWITCH_VALUES = {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False}


def _problem(status: int, text: str, **extra: object) -> web.Response:
    """Answer a control request that cannot be carried out."""
    return web.json_response({"error": text, **extra}, status=status)


class _Control:
    """Handlers of the control endpoints of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        """Keep the emulator the endpoints act on."""
        self.emulator = emulator

    async def _form(self, request: web.Request) -> dict[str, str]:
        """Return the request's form fields (query parameters as a fallback)."""
        fields = dict(request.query)
        form = await request.post()
        fields.update({key: value for key, value in form.items() if isinstance(value, str)})
        return fields

    async def inbound(self, request: web.Request) -> web.Response:
        """Receive an SMS for an account (form api_key, phone, message[, num])."""
        form = await self._form(request)
        api_key, phone, message = form.get("api_key"), form.get("phone"), form.get("message")
        if not api_key or not phone or message is None:
            return _problem(400, "api_key, phone and message are required")
        if api_key not in self.emulator.accounts:
            return _problem(404, "unknown api_key")
        num = form.get("num")
        try:
            if num:
                record = await self.emulator.inject_inbound(api_key, phone, message, num)
            else:
                record = await self.emulator.inject_inbound(api_key, phone, message)
        except InboundNotRoutedError as err:
            # An SMS to the shared number without this account's prefix.
            routed_to = err.route.account.user_id if err.route is not None else None
            return _problem(409, str(err), routed_to_user_id=routed_to)
        return web.json_response(
            {"inbound": inbound_item(record), "webhook_delivered": record.webhook_delivered}
        )

    async def reply(self, request: web.Request) -> web.Response:
        """Let the subscriber answer a 2WAY SMS (form server_id, message)."""
        form = await self._form(request)
        server_id, message = form.get("server_id", "").strip(), form.get("message")
        if not server_id.isdecimal() or message is None:
            return _problem(400, "server_id (a number) and message are required")
        sms = self.emulator.messages.get(int(server_id))
        if sms is None:
            return _problem(404, "unknown server_id")
        try:
            record = await self.emulator.reply(sms.server_id, message)
        except ValueError as err:
            return _problem(409, str(err))
        owner = next(
            account
            for account in self.emulator.accounts.values()
            if any(item is record for item in account.mailbox)
        )
        return web.json_response(
            {
                "inbound": inbound_item(record),
                "webhook_delivered": record.webhook_delivered,
                "user_id": owner.user_id,
            }
        )

    async def complete(self, request: web.Request) -> web.Response:
        """Finish every pending message now."""
        completed = await self.emulator.complete_all()
        return web.json_response({"completed": completed})

    async def set_fault(self, request: web.Request) -> web.Response:
        """Switch a fault on (form kind, count, seconds)."""
        form = await self._form(request)
        kind = form.get("kind", "")
        if kind not in {str(item) for item in FaultKind}:
            return _problem(400, "kind must be one of: " + ", ".join(FaultKind))
        try:
            count = int(form["count"]) if form.get("count") else None
            seconds = float(form["seconds"]) if form.get("seconds") else None
            fault = self.emulator.set_fault(kind, count, seconds=seconds)
        except ValueError as err:
            return _problem(400, str(err))
        return web.json_response(
            {"kind": str(fault.kind), "remaining": fault.remaining, "seconds": fault.seconds}
        )

    async def clear_faults(self, request: web.Request) -> web.Response:
        """Switch every fault off."""
        self.emulator.clear_faults()
        return web.json_response({"faults": []})

    async def state(self, request: web.Request) -> web.Response:
        """Describe the emulator's state (API keys masked)."""
        return web.json_response(self.emulator.summary())

    async def set_webhook(self, request: web.Request) -> web.Response:
        """Set (or with an empty url, remove) an account's inbound webhook URL."""
        account = self.emulator.accounts.get(request.match_info["api_key"])
        if account is None:
            return _problem(404, "unknown api_key")
        form = await self._form(request)
        account.inbound_webhook_url = form.get("url") or None
        return web.json_response({"inbound_webhook_url": account.inbound_webhook_url})

    async def set_two_way(self, request: web.Request) -> web.Response:
        """Give an account a survey/voting template or take it away (form survey_template)."""
        account = self.emulator.accounts.get(request.match_info["api_key"])
        if account is None:
            return _problem(404, "unknown api_key")
        form = await self._form(request)
        value = SWITCH_VALUES.get(form.get("survey_template", "").strip().lower())
        if value is None:
            return _problem(400, "survey_template must be on or off")
        account.survey_template = value
        return web.json_response({"survey_template": account.survey_template})

    async def set_prefix(self, request: web.Request) -> web.Response:
        """Set an account's shared-number prefix (form prefix; empty: back to the user id)."""
        account = self.emulator.accounts.get(request.match_info["api_key"])
        if account is None:
            return _problem(404, "unknown api_key")
        form = await self._form(request)
        prefix = form.get("prefix", "").strip()
        if any(char.isspace() for char in prefix):
            return _problem(400, "a prefix is one word")
        account.prefix = prefix or str(account.user_id)
        return web.json_response({"prefix": account.prefix})
