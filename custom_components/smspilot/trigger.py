"""Automation triggers: an inbound SMS, and a message that was delivered or not.

`trigger: smspilot.sms_received` and `trigger: smspilot.message_status`, with their settings
under `options:`. Both fire from the bus events the mailbox and the delivery tracker fire
(`smspilot_sms_received`, `smspilot_message_status`); the trigger variables carry those fields.

Where Home Assistant's triggers are classes attached through `async_attach_runner` (2026.x),
`async_get_triggers` offers them and the automation editor shows them, described by
triggers.yaml and the "triggers" translations. Older releases (2025.4 and on) read the same
YAML through the legacy trigger-platform protocol (`async_validate_trigger_config`,
`async_attach_trigger`); only their editor does not list the triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Any, ClassVar, Final, override

from homeassistant.const import CONF_PLATFORM
from homeassistant.core import CALLBACK_TYPE, Context, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_PHONE,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
    EVENT_SMS_RECEIVED,
)
from .phone import PhoneNumberError, home_country, normalize_phone

try:
    from homeassistant.helpers.trigger import Trigger, TriggerConfig
except ImportError:  # Home Assistant before trigger classes
    HAS_TRIGGER_CLASSES = False
else:
    # The class API changed shape a few times in 2025; only the current one is used.
    HAS_TRIGGER_CLASSES = "async_attach_runner" in Trigger.__abstractmethods__

if TYPE_CHECKING:
    from homeassistant.helpers.trigger import TriggerActionRunner, TriggerNotTriggeredReporter

# Home Assistant's CONF_OPTIONS, which 2025.4 lacks.
CONF_OPTIONS: Final = "options"
CONF_TEXT: Final = "text"
CONF_MATCH: Final = "match"
CONF_STATUS: Final = "status"

TRIGGER_SMS_RECEIVED: Final = "sms_received"
TRIGGER_MESSAGE_STATUS: Final = "message_status"


class TextMatch(StrEnum):
    """How the text of an SMS is compared (case-insensitively, spaces around trimmed)."""

    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    CONTAINS = "contains"  # as a whole word or words


# The final statuses of messages (SMS, calls, FlashCall) the status trigger can wait for.
STATUS_CHOICES: Final = ("delivered", "not_delivered")

_SMS_OPTIONS: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(CONF_PHONE): cv.string,
        vol.Optional(CONF_TEXT): cv.string,
        vol.Optional(CONF_MATCH, default=TextMatch.EQUALS.value): vol.In(
            [match.value for match in TextMatch]
        ),
    }
)
_STATUS_OPTIONS: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(CONF_STATUS): vol.All(
            cv.ensure_list, vol.Length(min=1), [vol.In(STATUS_CHOICES)]
        ),
    }
)

# What a matching event gives the automation: the trigger variables and a description.
type Found = tuple[dict[str, Any], str]
type Picker = Callable[[Mapping[str, Any]], Found | None]
type Fire = Callable[[dict[str, Any], str, Context], object]


def _drop_blanks(options: Mapping[str, Any]) -> dict[str, Any]:
    """Trim texts and forget the ones left empty (the editor may send empty fields)."""
    kept: dict[str, Any] = {}
    for key, value in options.items():
        kept_value = value.strip() if isinstance(value, str) else value
        if kept_value != "":
            kept[key] = kept_value
    return kept


def validate_sms_options(hass: HomeAssistant, options: Any) -> dict[str, Any]:
    """Check the SMS trigger's options; the phone becomes international digits."""
    valid = _drop_blanks(_SMS_OPTIONS(options))
    if (phone := valid.get(CONF_PHONE)) is not None:
        try:
            valid[CONF_PHONE] = normalize_phone(phone, home_country(hass))
        except PhoneNumberError as err:
            raise vol.Invalid(f"Invalid phone number for {CONF_PHONE}: {phone}") from err
    return valid


def validate_status_options(hass: HomeAssistant, options: Any) -> dict[str, Any]:
    """Check the status trigger's options."""
    return _drop_blanks(_STATUS_OPTIONS(options))


def _text_matcher(text: str, how: str) -> Callable[[str], bool]:
    """Return a test of an SMS text against `text`, ignoring case and surrounding spaces."""
    wanted = text.strip().casefold()
    if how == TextMatch.STARTS_WITH:
        return lambda message: message.strip().casefold().startswith(wanted)
    if how == TextMatch.CONTAINS:
        word = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
        return lambda message: word.search(message.strip().casefold()) is not None
    return lambda message: message.strip().casefold() == wanted


def _sender(phone: str, country: str) -> str:
    """Return the sender as international digits, or as written when it is no number."""
    try:
        return normalize_phone(phone, country)
    except PhoneNumberError:
        return phone.strip()


def sms_picker(hass: HomeAssistant, options: Mapping[str, Any]) -> Picker:
    """Return what picks the SMS the options ask for and builds their trigger variables."""
    entry_id: str | None = options.get(ATTR_CONFIG_ENTRY_ID)
    phone: str | None = options.get(CONF_PHONE)
    text: str | None = options.get(CONF_TEXT)
    matches = _text_matcher(text, options[CONF_MATCH]) if text is not None else None
    country = home_country(hass)

    def pick(data: Mapping[str, Any]) -> Found | None:
        if entry_id is not None and data.get(ATTR_CONFIG_ENTRY_ID) != entry_id:
            return None
        sender = str(data.get("phone") or "")
        if phone is not None and _sender(sender, country) != phone:
            return None
        message = str(data.get("message") or "")
        if matches is not None and not matches(message):
            return None
        variables = {
            ATTR_CONFIG_ENTRY_ID: data.get(ATTR_CONFIG_ENTRY_ID),
            # `trigger.id` is the trigger's own id in every automation; the SMS id is sms_id.
            "sms_id": data.get("id"),
            "phone": sender,
            "message": message,
            "num": data.get("num"),
            "received_at": data.get("received_at"),
        }
        return variables, f"SMS from {sender}"

    return pick


def status_picker(hass: HomeAssistant, options: Mapping[str, Any]) -> Picker:
    """Return what picks the statuses the options ask for and builds their trigger variables."""
    entry_id: str | None = options.get(ATTR_CONFIG_ENTRY_ID)
    wanted = frozenset(options[CONF_STATUS])

    def pick(data: Mapping[str, Any]) -> Found | None:
        if entry_id is not None and data.get(ATTR_CONFIG_ENTRY_ID) != entry_id:
            return None
        name = data.get("status_name")
        if name not in wanted:
            return None
        return dict(data), f"message {data.get('server_id')} to {data.get('phone')} {name}"

    return pick


@dataclass(frozen=True, slots=True)
class _Kind:
    """One trigger: the event it follows, its options check and its event picker."""

    event_type: str
    validate: Callable[[HomeAssistant, Any], dict[str, Any]]
    picker: Callable[[HomeAssistant, Mapping[str, Any]], Picker]


KINDS: Final[Mapping[str, _Kind]] = {
    TRIGGER_SMS_RECEIVED: _Kind(EVENT_SMS_RECEIVED, validate_sms_options, sms_picker),
    TRIGGER_MESSAGE_STATUS: _Kind(EVENT_MESSAGE_STATUS, validate_status_options, status_picker),
}


def _listen(
    hass: HomeAssistant, kind: _Kind, options: Mapping[str, Any], fire: Fire
) -> CALLBACK_TYPE:
    """Follow the trigger's bus event and fire for each event its options pick."""
    pick = kind.picker(hass, options)

    @callback
    def handle(event: Event[Mapping[str, Any]]) -> None:
        if (found := pick(event.data)) is not None:
            variables, description = found
            fire({**variables, "event": event}, description, event.context)

    return hass.bus.async_listen(kind.event_type, handle)


if HAS_TRIGGER_CLASSES:

    class _SmsPilotTrigger(Trigger):
        """A trigger of this integration, following one of its bus events."""

        _key: ClassVar[str]

        @override
        @classmethod
        async def async_validate_config(cls, hass: HomeAssistant, config: ConfigType) -> ConfigType:
            """Check the options (the triggers take no target)."""
            valid: ConfigType = vol.Schema({vol.Required(CONF_OPTIONS, default=dict): dict})(config)
            valid[CONF_OPTIONS] = KINDS[cls._key].validate(hass, valid[CONF_OPTIONS])
            return valid

        def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
            """Keep the validated options."""
            super().__init__(hass, config)
            self._options: Mapping[str, Any] = config.options or {}

        @override
        async def async_attach_runner(
            self,
            run_action: TriggerActionRunner,
            did_not_trigger: TriggerNotTriggeredReporter | None = None,
        ) -> CALLBACK_TYPE:
            """Run the action for each matching event until detached."""

            def fire(variables: dict[str, Any], description: str, context: Context) -> object:
                return run_action(
                    extra_trigger_payload=variables, description=description, context=context
                )

            return _listen(self._hass, KINDS[self._key], self._options, fire)

    class SmsReceivedTrigger(_SmsPilotTrigger):
        """An SMS arrived (from a phone, with a text, to an account, as the options say)."""

        _key = TRIGGER_SMS_RECEIVED

    class MessageStatusTrigger(_SmsPilotTrigger):
        """A sent message reached the status the options name (delivered, not delivered)."""

        _key = TRIGGER_MESSAGE_STATUS

    TRIGGERS: Final[dict[str, type[Trigger]]] = {
        TRIGGER_SMS_RECEIVED: SmsReceivedTrigger,
        TRIGGER_MESSAGE_STATUS: MessageStatusTrigger,
    }

    async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
        """Return the triggers of SMSPilot."""
        return TRIGGERS


# The legacy protocol: the same YAML for releases without trigger classes.
_LEGACY_SCHEMA: Final = cv.TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_PLATFORM): vol.In([f"{DOMAIN}.{key}" for key in KINDS]),
        vol.Optional(CONF_OPTIONS, default=dict): dict,
    }
)


def _kind_of(config: ConfigType) -> str:
    """Return the trigger key of `smspilot.<key>`."""
    return str(config[CONF_PLATFORM]).removeprefix(f"{DOMAIN}.")


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check a trigger of this integration (legacy protocol)."""
    valid: ConfigType = _LEGACY_SCHEMA(config)
    valid[CONF_OPTIONS] = KINDS[_kind_of(valid)].validate(hass, valid[CONF_OPTIONS])
    return valid


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run the automation's action for each matching event (legacy protocol)."""
    platform = str(config[CONF_PLATFORM])
    job = HassJob(action, f"{platform} trigger")
    trigger_data = trigger_info["trigger_data"]

    def fire(variables: dict[str, Any], description: str, context: Context) -> object:
        payload = {
            "trigger": {
                **trigger_data,
                CONF_PLATFORM: platform,
                "description": description,
                **variables,
            }
        }
        return hass.async_run_hass_job(job, payload, context)

    return _listen(hass, KINDS[_kind_of(config)], config[CONF_OPTIONS], fire)
