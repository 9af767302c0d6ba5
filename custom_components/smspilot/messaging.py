"""Sending through one SMSPilot account: checks, one request per call, results as plain data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    ApiErrorDetail,
    MessageState,
    NumberCheckMethod,
    SendResult,
    SentMessage,
    SmsPilotAuthenticationError,
    SmsPilotClient,
    SmsPilotConnectionError,
    SmsPilotError,
    SmsPilotInsufficientFundsError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    SmsPilotSpamProtectionError,
)
from .const import CONF_DEFAULT_SENDER, DOMAIN, LOGGER
from .phone import home_country
from .tracker import DeliveryTracker, is_final, status_name
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

if TYPE_CHECKING:
    from .coordinator import SmsPilotAccountCoordinator, SmsPilotConfigEntry


class MessageKind(StrEnum):
    """What one send asks SMSPilot to do."""

    SMS = "sms"
    VOICE = "voice"
    FLASHCALL = "flashcall"
    HLR = "hlr"
    PING = "ping"
    HLRVIP = "hlrvip"


NUMBER_CHECKS: Final[Mapping[MessageKind, NumberCheckMethod]] = {
    MessageKind.HLR: NumberCheckMethod.HLR,
    MessageKind.PING: NumberCheckMethod.PING,
    MessageKind.HLRVIP: NumberCheckMethod.HLRVIP,
}
# What HLRVIP adds to a state (the document's list names `msc` as a second `mnc`), and the
# country and operator any state may carry.
NUMBER_CHECK_FIELDS: Final = (
    "imsi",
    "msc",
    "mcc",
    "mnc",
    "cn",
    "net",
    "gcn",
    "gnet",
    "country",
    "operator",
)

# Waiting for a number check: first look after a second, then less often, at most every 5 s.
FIRST_POLL_DELAY: Final = 1.0
MAX_POLL_DELAY: Final = 5.0

# Which translated error an input field refused by SMSPilot becomes.
_REFUSED_FIELD_KEYS: Final[Mapping[str | None, str]] = {
    "phone": "phone_refused",
    "sender": "sender_refused",
    "text": "message_refused",
    "send_datetime": "send_time_refused",
    "ttl": "ttl_refused",
    "callback": "callback_refused",
    "ids": "unknown_message_ids",
}
_BLACKLISTED_PHONE: Final = 212


class SmsPilotMessenger:
    """Send SMS, robot calls, FlashCalls and number checks, and read their states."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsPilotConfigEntry,
        client: SmsPilotClient,
        account: SmsPilotAccountCoordinator,
        tracker: DeliveryTracker,
    ) -> None:
        """Work for one account, reporting to its balance coordinator and delivery tracker."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._account = account
        self._tracker = tracker

    @property
    def default_sender(self) -> str | None:
        """Return the sender chosen in the options (None: the account's own default applies)."""
        sender: str | None = self._entry.options.get(CONF_DEFAULT_SENDER) or None
        return sender

    async def async_send(
        self,
        kind: MessageKind,
        to: str | Iterable[str],
        text: str = "",
        *,
        sender: str | None = None,
        send_at: datetime | None = None,
        ttl: int | None = None,
        test: bool = False,
    ) -> dict[str, Any]:
        """Check the input, send it to every recipient in one request and describe the result."""
        result, parts = await self._async_send(
            kind, to, text, sender=sender, send_at=send_at, ttl=ttl, test=test
        )
        return {**self._describe_send(kind, result), "parts": parts}

    async def async_check_numbers(
        self, kind: MessageKind, to: str | Iterable[str], *, wait: float | None = None
    ) -> dict[str, Any]:
        """Start an HLR, PING or HLRVIP check; with `wait`, wait up to that many seconds for it.

        The answer tells whether every result is final (`complete`); what is not final by
        then can be looked up later with the returned ids.
        """
        seconds = check_wait(wait)
        result, _parts = await self._async_send(kind, to)
        response = self._describe_send(kind, result)
        records: dict[int, SentMessage | MessageState] = {
            message.server_id: message for message in result.messages
        }
        if seconds > 0:
            await self._async_wait_for_final(kind, records, seconds)
            response["messages"] = [
                self._describe_message(kind, record) for record in records.values()
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
        cost = await self._request(
            lambda: self._client.estimate_cost(phones, text, sender=chosen), phones
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
            states = await self._request(lambda: self._client.get_packet_status(packet_id))
        else:
            states = await self._request(lambda: self._client.get_status(server_ids))
        # The tracker keeps sensors and events in step with what the user just saw.
        self._tracker.apply_states(None, states)
        # A status answer does not say what kind of message it was; SMS names fit calls too.
        return {"messages": [self._describe_message(MessageKind.SMS, state) for state in states]}

    # Sending

    async def _async_send(
        self,
        kind: MessageKind,
        to: str | Iterable[str],
        text: str = "",
        *,
        sender: str | None = None,
        send_at: datetime | None = None,
        ttl: int | None = None,
        test: bool = False,
    ) -> tuple[SendResult, int]:
        """Check everything, make the one request, and let the tracker and balance know."""
        phones = check_recipients(to, home_country(self._hass))
        callback = self._tracker.callback_url
        request: Callable[[], Awaitable[SendResult]]
        parts = 1
        match kind:
            case MessageKind.SMS | MessageKind.VOICE:
                # SMS and voice calls take the same request; only text and sender rules differ.
                if kind is MessageKind.SMS:
                    parts = check_sms_text(text).parts
                    send = partial(self._client.send_sms, sender=self._sms_sender(sender))
                else:
                    check_voice_text(text)
                    send = partial(self._client.send_voice, sender=check_voice_sender(sender))
                request = partial(
                    send,
                    phones,
                    text,
                    send_at=check_send_at(send_at),
                    ttl=check_ttl(ttl),
                    test=test,
                    callback=callback,
                    callback_method="post",
                )
            case MessageKind.FLASHCALL:
                code = check_flash_call_code(text)
                request = lambda: self._client.send_flash_call(  # noqa: E731
                    phones, code, test=test, callback=callback, callback_method="post"
                )
            case _:
                method = NUMBER_CHECKS[kind]
                request = lambda: self._client.check_numbers(  # noqa: E731
                    phones, method, test=test, callback=callback, callback_method="post"
                )
        LOGGER.debug("Sending %s to %d recipient(s)", kind, len(phones))
        result = await self._request(request, phones)
        self._tracker.track(kind, result)
        self._update_balance(result.balance)
        self._raise_if_all_refused(result)
        return result, parts

    def _sms_sender(self, sender: str | None) -> str | None:
        """Return the SMS sender: the one asked for (checked), else the options' default."""
        registered = self._account.data.senders if self._account.data else ()
        return check_sender(sender, registered) or self.default_sender

    def _update_balance(self, balance: Decimal | None) -> None:
        """Show the balance SMSPilot reported with the send, without asking again."""
        info = self._account.data
        if balance is None or info is None or info.balance == balance:
            return
        self._account.async_set_updated_data(dataclasses.replace(info, balance=balance))

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
                "error": self._error_text(first.error) if first.error else "",
            },
        )

    async def _async_wait_for_final(
        self, kind: MessageKind, records: dict[int, SentMessage | MessageState], seconds: float
    ) -> None:
        """Poll the states of unfinished checks until all are final or `seconds` have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        delay = FIRST_POLL_DELAY
        fields = "all" if kind is MessageKind.HLRVIP else None
        pending = [
            server_id for server_id, record in records.items() if not is_final(record.status)
        ]
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
            self._tracker.apply_states(kind, states)
            records.update(
                (state.server_id, state) for state in states if state.server_id in records
            )
            pending = [
                server_id for server_id, record in records.items() if not is_final(record.status)
            ]

    # Errors

    async def _request[T](
        self, request: Callable[[], Awaitable[T]], phones: Sequence[str] = ()
    ) -> T:
        """Make one API request, turning client errors into translated Home Assistant errors.

        `phones` name the recipients when SMSPilot refuses a number without saying which.
        """
        try:
            return await request()
        except SmsPilotAuthenticationError as err:
            self._entry.async_start_reauth(self._hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"account": self._entry.title},
            ) from err
        except SmsPilotInsufficientFundsError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="insufficient_funds",
                translation_placeholders={"account": self._entry.title},
            ) from err
        except SmsPilotSpamProtectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="spam_protection",
                translation_placeholders={"error": self._error_text(err)},
            ) from err
        except SmsPilotInvalidInputError as err:
            raise self._refused_input(err, phones) from err
        except SmsPilotConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="connection_failed"
            ) from err
        except SmsPilotResponseError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="unexpected_response"
            ) from err
        except SmsPilotError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="request_failed",
                translation_placeholders={"error": self._error_text(err)},
            ) from err

    def _refused_input(
        self, err: SmsPilotInvalidInputError, phones: Sequence[str]
    ) -> ServiceValidationError:
        """Describe input SMSPilot refused, naming the field and the value where known."""
        placeholders = {"error": self._error_text(err)}
        if err.code == _BLACKLISTED_PHONE:
            key = "phone_blacklisted"
        else:
            key = _REFUSED_FIELD_KEYS.get(err.field, "input_refused")
        if err.field == "phone":
            placeholders["phone"] = err.details.get("phone") or ", ".join(phones)
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _localized(self, error: SmsPilotError | ApiErrorDetail) -> str:
        """Return SMSPilot's text of an error in the user's language (Russian, else English)."""
        if self._hass.config.language.startswith("ru"):
            return error.description_ru or error.description
        return error.description or error.description_ru

    def _error_text(self, error: SmsPilotError | ApiErrorDetail) -> str:
        """Return SMSPilot's text of an error in the user's language, followed by its code."""
        text = self._localized(error)
        if error.code is None:
            return text
        return f"{text} ({error.code})" if text else str(error.code)

    # Answers

    def _describe_send(self, kind: MessageKind, result: SendResult) -> dict[str, Any]:
        """Return a send answer as JSON-ready data."""
        return {
            "packet_id": result.packet_id,
            "cost": _money(result.cost),
            "balance": _money(result.balance),
            "messages": [self._describe_message(kind, message) for message in result.messages],
        }

    def _describe_message(
        self, kind: MessageKind, record: SentMessage | MessageState
    ) -> dict[str, Any]:
        """Return one message's state as JSON-ready data (number check details included)."""
        described: dict[str, Any] = {
            "server_id": record.server_id,
            "phone": record.phone,
            "price": _money(record.price),
            "status": int(record.status),
            "status_name": status_name(kind, record.status),
            "error": self._describe_error(record.error),
        }
        described.update(
            (name, record.attributes[name])
            for name in NUMBER_CHECK_FIELDS
            if record.attributes.get(name)
        )
        return described

    def _describe_error(self, error: ApiErrorDetail | None) -> dict[str, Any] | None:
        """Return a per-message error with its code, text in the user's language and both texts."""
        if error is None:
            return None
        return {
            "code": error.code,
            "text": self._localized(error),
            "description": error.description,
            "description_ru": error.description_ru,
        }


def _money(value: Decimal | None) -> float | None:
    """Return roubles as a float for JSON (None stays None)."""
    return None if value is None else float(value)
