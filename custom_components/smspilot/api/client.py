"""Async client for the SMSPilot HTTP API-1 (https://smspilot.ru/api.php)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
import logging
from types import MappingProxyType
from typing import Final

import aiohttp

from .errors import SmsPilotConnectionError, SmsPilotError, SmsPilotResponseError
from .models import (
    InboundMessage,
    MessageState,
    NumberCheckMethod,
    SendOptions,
    SendResult,
    UserInfo,
)
from .parsing import (
    decode_answer,
    parse_balance,
    parse_balance_sms,
    parse_cost,
    parse_inbound,
    parse_send_result,
    parse_states,
    parse_user_info,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://smspilot.ru/api.php"
DEFAULT_REQUEST_TIMEOUT: Final = 30.0

# Always asked for when the caller picks status fields, so every answer can be parsed.
_CORE_STATUS_FIELDS: Final = (
    "server_id",
    "phone",
    "price",
    "status",
    "error",
    "error_en",
    "error_ru",
)
_CALLBACK_METHODS: Final = frozenset({"get", "post"})
_REDACTED: Final = "**********"
_DEFAULT_OPTIONS: Final = SendOptions()

type Recipients = str | Sequence[str]
type Fields = str | Sequence[str] | None


class SmsPilotClient:
    """Talk to SMSPilot API-1 over an aiohttp session owned by the caller.

    Every request is a form POST with `format=json`; the API key travels only in that body.
    Reads are retried once after a connection error; anything that sends is never retried.
    """

    __slots__ = ("_api_key", "_api_url", "_request_timeout", "_session")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        """Use `session` for requests to `api_url`, giving each `request_timeout` seconds."""
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        self._session = session
        self._api_key = api_key
        self._api_url = api_url
        self._request_timeout = request_timeout

    def __repr__(self) -> str:
        """Describe the client without its API key."""
        return f"{type(self).__name__}(api_url={self._api_url!r}, api_key={_REDACTED!r})"

    @property
    def api_url(self) -> str:
        """Return the API address requests go to."""
        return self._api_url

    # Account

    async def get_user_info(self) -> UserInfo:
        """Return the account behind the API key (also a cheap way to validate the key)."""
        return parse_user_info(await self._call("user info", {}, retry=True))

    async def get_balance(self) -> Decimal:
        """Return the balance in roubles."""
        return parse_balance(await self._call("balance", {"balance": "rur"}, retry=True))

    async def get_balance_sms(self) -> int:
        """Return roughly how many SMS the balance pays for."""
        return parse_balance_sms(await self._call("balance", {"balance": "sms"}, retry=True))

    # Sending

    async def send_sms(
        self,
        to: Recipients,
        text: str,
        *,
        sender: str | None = None,
        options: SendOptions = _DEFAULT_OPTIONS,
    ) -> SendResult:
        """Send the same SMS to one or more numbers (international format, no "+")."""
        return await self._send("sms", _send_params(to, text, sender, options))

    async def send_voice(
        self,
        to: Recipients,
        text: str,
        *,
        sender: str = "GOLOS",
        options: SendOptions = _DEFAULT_OPTIONS,
    ) -> SendResult:
        """Have a robot call the numbers and read `text` aloud (sender GOLOS or GOLOSM)."""
        return await self._send("voice", _send_params(to, text, sender, options))

    async def send_flash_call(
        self, to: Recipients, code: str, *, options: SendOptions = _DEFAULT_OPTIONS
    ) -> SendResult:
        """Call the number from a number ending in the four-digit `code`."""
        params = _send_params(to, code, "FLASHCALL", _without_timing(options))
        return await self._send("flash call", params)

    async def send_two_way(
        self, to: Recipients, text: str, *, options: SendOptions = _DEFAULT_OPTIONS
    ) -> SendResult:
        """Send an SMS from the service number so the recipient can reply (sender 2WAY)."""
        return await self._send("two-way sms", _send_params(to, text, "2WAY", options))

    async def check_numbers(
        self,
        to: Recipients,
        method: NumberCheckMethod | str = NumberCheckMethod.HLR,
        *,
        options: SendOptions = _DEFAULT_OPTIONS,
    ) -> SendResult:
        """Start an HLR, PING or HLRVIP check of the numbers; results come as statuses."""
        params = _send_params(to, NumberCheckMethod(method).value, None, _without_timing(options))
        return await self._send("number check", params)

    async def estimate_cost(
        self, to: Recipients, text: str, *, sender: str | None = None
    ) -> Decimal:
        """Return what sending `text` to the numbers would cost, without sending."""
        params = _send_params(to, text, sender, _DEFAULT_OPTIONS)
        params["cost"] = "1"
        # Not retried: it is a `send=` request, and the rule is that those never are.
        return parse_cost(await self._call("cost", params, retry=False))

    # Statuses

    async def get_status(
        self, server_ids: Sequence[int], *, fields: Fields = None
    ) -> tuple[MessageState, ...]:
        """Return the current state of the given messages."""
        if not server_ids:
            return ()
        params = {"check": ",".join(str(int(server_id)) for server_id in server_ids)}
        return await self._check(params, fields)

    async def get_recent_status(self, *, fields: Fields = None) -> tuple[MessageState, ...]:
        """Return the state of every message of the last 24 hours."""
        return await self._check({"check": "recent"}, fields)

    async def get_packet_status(
        self, packet_id: int, *, fields: Fields = None
    ) -> tuple[MessageState, ...]:
        """Return the state of every message of one packet (`SendResult.packet_id`)."""
        return await self._check({"check": "packet", "id": str(int(packet_id))}, fields)

    async def get_all_status(self, *, fields: Fields = None) -> tuple[MessageState, ...]:
        """Return the state of all messages (the service caps the list at 10,000)."""
        return await self._check({"check": "all"}, fields)

    # Inbound

    async def get_inbound(
        self, *, new_only: bool = True, since: datetime | None = None
    ) -> tuple[InboundMessage, ...]:
        """Return received SMS: those received after `since`, else unseen ones or all of them.

        Asking for new messages marks them seen, so that request is not retried: a retry
        after an answer lost on the way back would return nothing and lose them.
        """
        if since is not None:
            params = {"inbound": _format_time(since, "since")}
        else:
            params = {"inbound": "new" if new_only else "all"}
        retry = params["inbound"] != "new"
        return parse_inbound(await self._call("inbound", params, retry=retry))

    # Transport

    async def _send(self, kind: str, params: dict[str, str]) -> SendResult:
        """Run a send request (never retried) and parse its answer."""
        return parse_send_result(await self._call(kind, params, retry=False))

    async def _check(self, params: dict[str, str], fields: Fields) -> tuple[MessageState, ...]:
        """Run a status request, adding the requested fields."""
        field_list = _fields_param(fields)
        if field_list:
            params["fields"] = field_list
        return parse_states(await self._call("status", params, retry=True))

    async def _call(
        self, kind: str, params: Mapping[str, str], *, retry: bool
    ) -> dict[str, object]:
        """Make one request, once more after a connection error when `retry` is set."""
        if retry:
            try:
                return await self._post(kind, params)
            except SmsPilotConnectionError as err:
                _LOGGER.debug("SMSPilot %s request failed (%s); retrying once", kind, err)
        return await self._post(kind, params)

    async def _post(self, kind: str, params: Mapping[str, str]) -> dict[str, object]:
        """POST the form with the key in the body and return the decoded answer."""
        form = {"apikey": self._api_key, "format": "json", **params}
        # Parameter names only: values may be message texts or phone numbers.
        _LOGGER.debug(
            "SMSPilot %s request to %s with %s", kind, self._api_url, ", ".join(sorted(params))
        )
        try:
            async with self._session.post(
                self._api_url,
                data=form,
                timeout=aiohttp.ClientTimeout(total=self._request_timeout),
            ) as response:
                status = response.status
                body = await response.read()
        except TimeoutError as err:
            raise SmsPilotConnectionError(
                f"SMSPilot {kind} request timed out after {self._request_timeout:g} s"
            ) from err
        except (aiohttp.ClientError, OSError) as err:
            raise SmsPilotConnectionError(
                self._redact(f"SMSPilot {kind} request failed: {type(err).__name__}: {err}")
            ) from err
        _LOGGER.debug("SMSPilot %s answer: HTTP %s, %d bytes", kind, status, len(body))
        if status >= 500:
            raise SmsPilotConnectionError(f"SMSPilot answered HTTP {status}")
        try:
            return decode_answer(body.decode("utf-8-sig", errors="replace"))
        except SmsPilotResponseError as err:
            if status >= 400:
                raise SmsPilotResponseError(f"SMSPilot answered HTTP {status}") from None
            _LOGGER.debug("SMSPilot %s answer not understood: %s", kind, err)
            raise
        except SmsPilotError as err:
            self._redact_error(err, _callback_secrets(params.get("callback")))
            raise

    def _redact(self, text: str, secrets: tuple[str, ...] = ()) -> str:
        """Replace the API key (and any other secret given) in `text`, should anything echo it."""
        for secret in (self._api_key, *secrets):
            if secret:
                text = text.replace(secret, _REDACTED)
        return text

    def _redact_error(self, err: SmsPilotError, secrets: tuple[str, ...] = ()) -> None:
        """Remove the API key and the callback address from every text of an API error."""
        err.message = self._redact(err.message, secrets)
        err.args = (err.message,)
        err.description = self._redact(err.description, secrets)
        err.description_ru = self._redact(err.description_ru, secrets)
        err.details = MappingProxyType(
            {key: self._redact(value, secrets) for key, value in err.details.items()}
        )


def _callback_secrets(callback: str | None) -> tuple[str, ...]:
    """Return the callback address and its last path part (a webhook id) to keep out of errors."""
    if not callback:
        return ()
    last = callback.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return (callback, last) if len(last) >= 16 else (callback,)


def _recipients(to: Recipients) -> str:
    """Join phone numbers with commas, dropping blanks and a leading "+"."""
    phones = to.split(",") if isinstance(to, str) else to
    cleaned = (phone.strip().removeprefix("+") for phone in phones)
    return ",".join(phone for phone in cleaned if phone)


def _format_time(moment: datetime, name: str) -> str:
    """Write an aware datetime as the API's UTC "YYYY-MM-DD HH:MM:SS"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _fields_param(fields: Fields) -> str:
    """Build the `fields` parameter: "all", or the core fields plus the requested ones."""
    if fields is None:
        return ""
    requested = [
        field.strip() for field in (fields.split(",") if isinstance(fields, str) else fields)
    ]
    if "all" in requested:
        return "all"
    merged = dict.fromkeys([*_CORE_STATUS_FIELDS, *(field for field in requested if field)])
    return ",".join(merged)


def _without_timing(options: SendOptions) -> SendOptions:
    """Drop the send time and lifetime, which FlashCalls and number checks do not take."""
    return dataclasses.replace(options, send_at=None, ttl=None)


def _send_params(
    to: Recipients, text: str, sender: str | None, options: SendOptions
) -> dict[str, str]:
    """Build the form of a `send=` request."""
    params = {"send": text, "to": _recipients(to)}
    if sender:
        params["from"] = sender
    if options.send_at is not None:
        params["send_datetime"] = _format_time(options.send_at, "send_at")
    if options.ttl is not None:
        params["ttl"] = str(int(options.ttl))
    if options.test:
        params["test"] = "1"
    if options.callback:
        method = options.callback_method.lower()
        if method not in _CALLBACK_METHODS:
            raise ValueError("callback_method must be 'get' or 'post'")
        params["callback"] = options.callback
        params["callback_method"] = method
    return params
