"""The account's webhook: inbound SMS and delivery statuses from SMSPilot."""

from __future__ import annotations

from functools import partial
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl

from aiohttp import ClientError, hdrs
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .api import SmsPilotResponseError, parse_inbound_sms, parse_status_callback
from .const import DOMAIN, LOGGER
from .models import SmsPilotConfigEntry, SmsPilotRuntimeData

# SMSPilot's forms are a few hundred bytes; 16 KiB leaves room for a long SMS and its fields.
MAX_BODY_BYTES: Final = 16 * 1024
# More fields than any SMSPilot request has (a callback with fields=all carries about 14).
MAX_FIELDS: Final = 50
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"


class _RefusedError(Exception):
    """A webhook request that is answered with an HTTP error and otherwise ignored."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the answer's status and a reason for the debug log."""
        super().__init__(reason)
        self.status = status


@callback
def async_register_webhook(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> CALLBACK_TYPE:
    """Accept SMSPilot's requests at the account's webhook; return what unregisters it."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    runtime = entry.runtime_data
    account = str(entry.unique_id)

    async def handle(hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
        """Answer one request to the account's webhook."""
        return await _async_handle_request(runtime, account, request)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        handle,
        allowed_methods=(hdrs.METH_GET, hdrs.METH_POST),
    )
    return partial(webhook.async_unregister, hass, webhook_id)


async def _async_handle_request(
    runtime: SmsPilotRuntimeData, account: str, request: Request
) -> Response:
    """Route a request to the delivery tracker or the mailbox; never raise."""
    try:
        fields = await _async_read_fields(request)
        if "server_id" in fields:
            await _async_handle_status(runtime, fields)
        else:
            _handle_sms(runtime, account, fields)
    except _RefusedError as err:
        runtime.mailbox.rejected += 1
        # Cloud-forwarded requests of older Home Assistant releases have no `remote`.
        LOGGER.debug("Refused a webhook request from %s: %s", getattr(request, "remote", None), err)
        return Response(status=err.status)
    except Exception as err:  # noqa: BLE001 - no request may end in a traceback or a 500
        runtime.mailbox.rejected += 1
        LOGGER.error("Could not process a request from SMSPilot (%s: %s)", type(err).__name__, err)
        LOGGER.debug("Webhook request failure", exc_info=True)
        return Response(status=HTTPStatus.BAD_REQUEST)
    return Response(status=HTTPStatus.OK)


async def _async_handle_status(runtime: SmsPilotRuntimeData, fields: dict[str, str]) -> None:
    """Hand a delivery status to the tracker."""
    try:
        status = parse_status_callback(fields)
    except SmsPilotResponseError as err:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, f"bad status callback: {err}") from err
    try:
        await runtime.delivery.async_handle_callback(status)
    except Exception as err:  # noqa: BLE001 - a tracker fault must not turn into a retry storm
        # The traceback goes to the debug log only: the request came from outside.
        LOGGER.error(
            "Could not process a delivery status from SMSPilot (%s: %s)", type(err).__name__, err
        )
        LOGGER.debug("Delivery status failure", exc_info=True)


def _handle_sms(runtime: SmsPilotRuntimeData, account: str, fields: dict[str, str]) -> None:
    """Check an inbound SMS and announce it."""
    try:
        sms = parse_inbound_sms(fields)
    except SmsPilotResponseError as err:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, f"bad inbound SMS: {err}") from err
    if sms.user_id != account:
        raise _RefusedError(HTTPStatus.FORBIDDEN, "inbound SMS for another SMSPilot account")
    runtime.mailbox.receive(sms)


async def _async_read_fields(request: Request) -> dict[str, str]:
    """Return the query and form fields of a request, refusing anything unusual."""
    if len(request.query) > MAX_FIELDS:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "too many query fields")
    fields = {key: str(value) for key, value in request.query.items()}
    if request.method != hdrs.METH_POST:
        return fields
    length = request.headers.get(hdrs.CONTENT_LENGTH)
    declared: int | None = None
    if length is not None:
        try:
            declared = int(length)
        except ValueError as err:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from err
        if declared > MAX_BODY_BYTES:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    body = await _async_read_body(request, declared)
    if not body:
        return fields
    content_type = request.headers.get(hdrs.CONTENT_TYPE, FORM_CONTENT_TYPE)
    if content_type.partition(";")[0].strip().lower() != FORM_CONTENT_TYPE:
        # SMSPilot posts URL-encoded forms only.
        raise _RefusedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "not a URL-encoded form")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "body is not UTF-8") from err
    fields.update(_parse_form(text))
    return fields


async def _async_read_body(request: Request, declared: int | None) -> bytes:
    """Read the body, refusing it as soon as it grows beyond the limit.

    With a declared length the body is complete once that much arrived (no wait for EOF).
    """
    # Home Assistant Cloud's stand-in request makes a new reader on every access.
    content = request.content
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = await content.read(MAX_BODY_BYTES + 1 - size)
        except (OSError, ClientError, HttpProcessingError) as err:  # hung up, broken body
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "body could not be read") from err
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        chunks.append(chunk)
        if size == declared:
            break
    return b"".join(chunks)


def _parse_form(text: str) -> dict[str, str]:
    """Decode URL-encoded fields strictly (UTF-8, key=value pairs, a bounded count)."""
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError as err:  # UnicodeDecodeError is a ValueError too
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "malformed form") from err
    return dict(pairs)
