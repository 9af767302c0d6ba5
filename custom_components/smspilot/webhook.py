"""The account's webhook: inbound SMS and delivery statuses from SMSPilot, and its public address."""

from __future__ import annotations

from functools import partial
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl

from aiohttp import ClientError, hdrs
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError

from .api import SmsPilotResponseError, parse_inbound_sms, parse_status_callback
from .const import CONF_CLOUDHOOK_URL, DOMAIN, LOGGER
from .coordinator import SmsPilotConfigEntry
from .entity import account_id
from .inbound import async_forget_inbound

# SMSPilot's forms are a few hundred bytes; 16 KiB leaves room for a long SMS and its fields.
MAX_BODY_BYTES: Final = 16 * 1024
# More fields than any SMSPilot request has (a callback with fields=all carries about 14).
MAX_FIELDS: Final = 50
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"

ISSUE_NO_PUBLIC_URL: Final = "no_public_url"
REMOTE_ACCESS_URL: Final = "https://www.home-assistant.io/docs/configuration/remote/"


class _RefusedError(Exception):
    """A webhook request that is answered with an HTTP error and otherwise ignored."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the answer's status and a reason for the debug log."""
        super().__init__(reason)
        self.status = status


def _issue_id(entry: SmsPilotConfigEntry) -> str:
    """Return the id of the account's missing-address repair issue."""
    return f"{ISSUE_NO_PUBLIC_URL}_{entry.entry_id}"


@callback
def async_register_webhook(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Accept SMSPilot's requests at the account's webhook until the entry unloads."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]

    async def handle(hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
        """Answer one request to the account's webhook."""
        return await _async_handle_request(entry, request)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        handle,
        allowed_methods=(hdrs.METH_GET, hdrs.METH_POST),
    )
    entry.async_on_unload(partial(webhook.async_unregister, hass, webhook_id))
    entry.async_on_unload(partial(ir.async_delete_issue, hass, DOMAIN, _issue_id(entry)))

    @callback
    def core_config_updated(_event: Event) -> None:
        """Look for a public address again when the user changes Home Assistant's URLs."""
        entry.async_create_background_task(
            hass, _async_follow_public_url(hass, entry), "smspilot public address"
        )

    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, core_config_updated))


async def _async_follow_public_url(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Give the tracker and the inbound processor the current public address."""
    url = await async_public_url(hass, entry)
    entry.runtime_data.tracker.callback_url = url
    await entry.runtime_data.inbound.async_set_public_url(url)


async def _async_handle_request(entry: SmsPilotConfigEntry, request: Request) -> Response:
    """Route a request to the status tracker or the inbound processor; never raise."""
    inbound = entry.runtime_data.inbound
    try:
        fields = await _async_read_fields(request)
        if "server_id" in fields:
            await _async_handle_status(entry, fields)
        else:
            _handle_sms(entry, fields)
    except _RefusedError as err:
        inbound.rejected += 1
        # Cloud-forwarded requests of older Home Assistant releases have no `remote`.
        LOGGER.debug("Refused a webhook request from %s: %s", getattr(request, "remote", None), err)
        return Response(status=err.status)
    except Exception as err:  # noqa: BLE001 - no request may end in a traceback or a 500
        inbound.rejected += 1
        LOGGER.error("Could not process a request from SMSPilot (%s: %s)", type(err).__name__, err)
        LOGGER.debug("Webhook request failure", exc_info=True)
        return Response(status=HTTPStatus.BAD_REQUEST)
    return Response(status=HTTPStatus.OK)


async def _async_handle_status(entry: SmsPilotConfigEntry, fields: dict[str, str]) -> None:
    """Hand a delivery status to the tracker."""
    try:
        status = parse_status_callback(fields)
    except SmsPilotResponseError as err:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, f"bad status callback: {err}") from err
    try:
        known = await entry.runtime_data.tracker.async_handle_callback(status)
    except Exception as err:  # noqa: BLE001 - a tracker fault must not turn into a retry storm
        # The traceback goes to the debug log only: the request came from outside.
        LOGGER.error(
            "Could not process a delivery status from SMSPilot (%s: %s)", type(err).__name__, err
        )
        LOGGER.debug("Delivery status failure", exc_info=True)
        return
    if not known:
        LOGGER.debug("Delivery status for unknown message %s", status.server_id)


def _handle_sms(entry: SmsPilotConfigEntry, fields: dict[str, str]) -> None:
    """Check an inbound SMS and queue it for announcement."""
    try:
        sms = parse_inbound_sms(fields)
    except SmsPilotResponseError as err:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, f"bad inbound SMS: {err}") from err
    if sms.user_id != account_id(entry):
        raise _RefusedError(HTTPStatus.FORBIDDEN, "inbound SMS for another SMSPilot account")
    entry.runtime_data.inbound.async_receive(sms)


async def _async_read_fields(request: Request) -> dict[str, str]:
    """Return the query and form fields of a request, refusing anything unusual."""
    if len(request.query) > MAX_FIELDS:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "too many query fields")
    fields = {key: str(value) for key, value in request.query.items()}
    if request.method != hdrs.METH_POST:
        return fields
    length = request.headers.get(hdrs.CONTENT_LENGTH)
    if length is not None:
        try:
            declared = int(length)
        except ValueError as err:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from err
        if declared > MAX_BODY_BYTES:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    body = await _async_read_body(request)
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


async def _async_read_body(request: Request) -> bytes:
    """Read the body, refusing it as soon as it grows beyond the limit."""
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


def _external_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the webhook's address on Home Assistant's external URL, if one is set."""
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_internal=False, allow_ip=True)
    except NoURLAvailableError:
        return None


# Home Assistant Cloud is imported only once it is set up: importing it pulls in voice
# packages that are installed only where the cloud component was set up.


def _cloud_subscribed(hass: HomeAssistant) -> bool:
    """Tell whether Home Assistant Cloud is set up with an active subscription."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415 - see above

    return cloud.async_active_subscription(hass)


async def _async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Ask Home Assistant Cloud for a public address of the webhook (None when it can't)."""
    from homeassistant.components import cloud  # noqa: PLC0415 - see above

    try:
        return await cloud.async_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable as err:  # not connected right now, or logged out
        LOGGER.debug("Home Assistant Cloud gave no webhook address: %s", type(err).__name__)
        return None


async def _async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the webhook's Home Assistant Cloud address, if the cloud is still there."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415 - see above

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except (cloud.CloudNotAvailable, ValueError) as err:
        # Logged out of the cloud, or the hook is already gone: nothing left to delete.
        LOGGER.debug("No cloud webhook address to delete: %s", type(err).__name__)


async def async_inbound_url(hass: HomeAssistant, webhook_id: str) -> tuple[str | None, bool]:
    """Return the address SMSPilot should call and whether it is a Home Assistant Cloud one.

    Home Assistant Cloud reaches any installation; without a subscription the external URL
    is used; None means SMSPilot cannot reach this Home Assistant.
    """
    if _cloud_subscribed(hass) and (hook := await _async_create_cloudhook(hass, webhook_id)):
        return hook, True
    return _external_url(hass, webhook_id), False


async def async_public_url(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> str | None:
    """Return the loaded account's public webhook address; raise or clear the repair issue."""
    url: str | None
    if _cloud_subscribed(hass) and (hook := entry.data.get(CONF_CLOUDHOOK_URL)):
        url = hook
    else:
        url, is_cloudhook = await async_inbound_url(hass, entry.data[CONF_WEBHOOK_ID])
        if is_cloudhook:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_CLOUDHOOK_URL: url}
            )
    if url:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))
        return url
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_NO_PUBLIC_URL,
        translation_placeholders={"title": entry.title},
        learn_more_url=REMOTE_ACCESS_URL,
    )
    return None


async def async_remove_webhook(hass: HomeAssistant, entry: SmsPilotConfigEntry) -> None:
    """Forget what the deleted account left: its cloud address, repair issue and SMS memory."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))
    if CONF_CLOUDHOOK_URL in entry.data:
        await _async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    await async_forget_inbound(hass, entry.entry_id)
