"""Sending through one SMSPilot account: check everything, make one request, track, answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import dataclasses
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .answers import describe_message, describe_send
from .api import (
    MessageState,
    NumberCheckMethod,
    SendOptions,
    SendResult,
    SentMessage,
    SmsPilotClient,
    SmsPilotError,
)
from .const import DOMAIN, LOGGER, NumberCheck, SendKind, TrackedKind
from .coordinator import SmsPilotAccountCoordinator
from .delivery import DeliveryTracker
from .errors import action_error, error_text
from .phone import home_country
from .statuses import is_final
from .validation import (
    check_flash_call_code,
    check_recipients,
    check_send_at,
    check_sender,
    check_sms_text,
    check_ttl,
    check_voice_sender,
    check_voice_text,
    check_wait,
    invalid_input,
)

_METHODS: Final[Mapping[NumberCheck, NumberCheckMethod]] = {
    NumberCheck.HLR: NumberCheckMethod.HLR,
    NumberCheck.PING: NumberCheckMethod.PING,
    NumberCheck.HLRVIP: NumberCheckMethod.HLRVIP,
}
# Waiting for a number check: first look after a second, then less often, at most every 5 s.
FIRST_POLL_DELAY: Final = 1.0
MAX_POLL_DELAY: Final = 5.0


class Sender:
    """Send SMS, robot calls, FlashCalls and number checks of one account, and read states."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: SmsPilotClient,
        coordinator: SmsPilotAccountCoordinator,
        delivery: DeliveryTracker,
        *,
        title: Callable[[], str],
        default_sender: str | None,
        report_error: Callable[[SmsPilotError], None],
    ) -> None:
        """Work for one account, reporting to its balance coordinator and delivery tracker."""
        self._hass = hass
        self._client = client
        self._coordinator = coordinator
        self._delivery = delivery
        self._title = title
        self._default_sender = default_sender
        self._report_error = report_error

    @property
    def effective_sender(self) -> str | None:
        """Return the sender SMS go out with: the one chosen in the options, else the account's."""
        if self._default_sender:
            return self._default_sender
        return self._coordinator.data.default_sender if self._coordinator.data else None

    @property
    def _language(self) -> str:
        return self._hass.config.language

    async def async_send(
        self,
        kind: SendKind,
        to: str | Iterable[str],
        text: str = "",
        *,
        sender: str | None = None,
        send_at: datetime | None = None,
        ttl: object = None,
        test: bool = False,
    ) -> dict[str, Any]:
        """Check the input, send it to every recipient in one request and describe the result."""
        phones = check_recipients(to, home_country(self._hass))
        options = SendOptions(
            test=test, callback=self._delivery.callback_url, callback_method="post"
        )
        request: Callable[[], Awaitable[SendResult]]
        parts = 1
        if kind is SendKind.FLASHCALL:
            request = partial(
                self._client.send_flash_call, phones, check_flash_call_code(text), options=options
            )
        else:
            options = dataclasses.replace(
                options, send_at=check_send_at(send_at), ttl=check_ttl(ttl)
            )
            if kind is SendKind.SMS:
                parts = check_sms_text(text).parts
                request = partial(
                    self._client.send_sms,
                    phones,
                    text,
                    sender=self._sms_sender(sender),
                    options=options,
                )
            else:
                check_voice_text(text)
                request = partial(
                    self._client.send_voice,
                    phones,
                    text,
                    sender=check_voice_sender(sender),
                    options=options,
                )
        result = await self._async_send(kind, phones, request)
        return {**describe_send(kind, result, self._language), "parts": parts}

    async def async_send_reply(
        self, phone: str, text: str, *, two_way: bool = True
    ) -> dict[str, Any]:
        """Answer one phone in one request: from the service number (2WAY), else as an SMS."""
        phones = check_recipients(phone, home_country(self._hass))
        parts = check_sms_text(text).parts
        options = SendOptions(callback=self._delivery.callback_url, callback_method="post")
        if two_way:
            request = partial(self._client.send_two_way, phones, text, options=options)
        else:
            request = partial(
                self._client.send_sms, phones, text, sender=self._sms_sender(None), options=options
            )
        result = await self._async_send(SendKind.SMS, phones, request)
        return {**describe_send(SendKind.SMS, result, self._language), "parts": parts}

    async def async_check_numbers(
        self, check: NumberCheck, to: str | Iterable[str], *, wait: float | None = None
    ) -> dict[str, Any]:
        """Start an HLR, PING or HLRVIP check; with `wait`, wait up to that many seconds for it.

        The answer tells whether every result is final (`complete`); what is not final by
        then can be looked up later with the returned ids.
        """
        seconds = check_wait(wait)
        phones = check_recipients(to, home_country(self._hass))
        options = SendOptions(callback=self._delivery.callback_url, callback_method="post")
        result = await self._async_send(
            check,
            phones,
            partial(self._client.check_numbers, phones, _METHODS[check], options=options),
        )
        response = describe_send(check, result, self._language)
        records: dict[int, SentMessage | MessageState] = {
            message.server_id: message for message in result.messages
        }
        if seconds > 0:
            await self._async_wait_for_final(check, records, seconds)
            response["messages"] = [
                describe_message(check, record, self._language) for record in records.values()
            ]
        response["complete"] = all(is_final(record.status) for record in records.values())
        return response

    async def async_estimate(
        self, to: str | Iterable[str], text: str, *, sender: str | None = None
    ) -> dict[str, Any]:
        """Return what an SMS would cost and how it is split, without sending it."""
        phones = check_recipients(to, home_country(self._hass))
        parts = check_sms_text(text)
        chosen = self._sms_sender(sender)
        cost: Decimal = await self._request(
            partial(self._client.estimate_cost, phones, text, sender=chosen), phones
        )
        return {
            "cost": float(cost),
            "parts": parts.parts,
            "encoding": parts.encoding,
            "length": parts.length,
            "phones": phones,
        }

    async def async_check_status(
        self, *, server_ids: Sequence[int] = (), packet_id: int | None = None
    ) -> dict[str, Any]:
        """Return the current states of messages by their ids or by their packet id."""
        if not server_ids and packet_id is None:
            raise invalid_input("no_message_ids")
        if server_ids and packet_id is not None:
            raise invalid_input("ids_and_packet")
        states: tuple[MessageState, ...]
        if packet_id is not None:
            states = await self._request(partial(self._client.get_packet_status, packet_id))
        else:
            states = await self._request(partial(self._client.get_status, server_ids))
        # The tracker keeps sensors and events in step with what the user just saw.
        self._delivery.apply_states(states)
        # A status answer does not say what kind of message it was; SMS names fit calls too.
        return {
            "messages": [describe_message(SendKind.SMS, state, self._language) for state in states]
        }

    # Sending

    async def _async_send(
        self, kind: TrackedKind, phones: list[str], request: Callable[[], Awaitable[SendResult]]
    ) -> SendResult:
        """Make the one request and track its result, even if the caller is cancelled meanwhile.

        Once the request has left, the message is paid for: a script that is stopped, or a
        Home Assistant that stops, must not leave it untracked.
        """
        LOGGER.debug("Sending %s to %d recipient(s)", kind, len(phones))
        task = self._hass.async_create_task(
            self._async_request_and_track(kind, phones, request), f"{DOMAIN} send", eager_start=True
        )
        task.add_done_callback(_log_orphaned_failure)
        result = await asyncio.shield(task)
        self._raise_if_all_refused(result)
        return result

    async def _async_request_and_track(
        self, kind: TrackedKind, phones: list[str], request: Callable[[], Awaitable[SendResult]]
    ) -> SendResult:
        result = await self._request(request, phones)
        self._delivery.track(kind, result)
        self._update_balance(result.balance)
        return result

    def _sms_sender(self, sender: str | None) -> str | None:
        """Return the SMS sender: the one asked for (checked), else the options' default."""
        registered = self._coordinator.data.senders if self._coordinator.data else ()
        return check_sender(sender, registered) or self._default_sender

    def _update_balance(self, balance: Decimal | None) -> None:
        """Show the balance SMSPilot reported with the send, without asking again."""
        info = self._coordinator.data
        if balance is None or info is None or info.balance == balance:
            return
        self._coordinator.async_set_updated_data(dataclasses.replace(info, balance=balance))

    def _raise_if_all_refused(self, result: SendResult) -> None:
        """Fail loudly when SMSPilot accepted the request but refused every recipient."""
        refused = [message for message in result.messages if message.error is not None]
        if not refused:
            return
        LOGGER.warning(
            "SMSPilot refused %d of %d recipient(s): error %s",
            len(refused),
            len(result.messages),
            ", ".join(sorted({str(message.error.code) for message in refused if message.error})),
        )
        if len(refused) < len(result.messages):
            return
        first = refused[0]
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="all_recipients_refused",
            translation_placeholders={
                "phone": first.phone,
                "error": error_text(first.error, self._language) if first.error else "",
            },
        )

    async def _async_wait_for_final(
        self, check: NumberCheck, records: dict[int, SentMessage | MessageState], seconds: float
    ) -> None:
        """Poll the states of unfinished checks until all are final or `seconds` have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        delay = FIRST_POLL_DELAY
        fields = "all" if check is NumberCheck.HLRVIP else None
        pending = [sid for sid, record in records.items() if not is_final(record.status)]
        while pending and (remaining := deadline - loop.time()) > 0:
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_POLL_DELAY)
            try:
                states = await self._request(
                    partial(self._client.get_status, list(pending), fields=fields)
                )
            except HomeAssistantError as err:
                # The check is paid for and its ids are in the answer: report, don't fail.
                LOGGER.warning("Stopped waiting for the number check result: %s", err)
                return
            self._delivery.follow_states(check, states)
            records.update(
                (state.server_id, state) for state in states if state.server_id in records
            )
            pending = [sid for sid, record in records.items() if not is_final(record.status)]

    async def _request[T](
        self, request: Callable[[], Awaitable[T]], phones: Sequence[str] = ()
    ) -> T:
        """Make one API request, turning client errors into translated Home Assistant errors."""
        try:
            return await request()
        except SmsPilotError as err:
            self._report_error(err)
            raise action_error(
                err, account=self._title(), language=self._language, phones=phones
            ) from err


def _log_orphaned_failure(task: asyncio.Task[SendResult]) -> None:
    """Retrieve a send's failure so it is logged even when its caller went away."""
    if task.cancelled() or (err := task.exception()) is None:
        return
    LOGGER.debug("Send failed: %s", err)
