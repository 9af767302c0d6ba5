"""API-1 request handling: validate parameters, change the store, build the answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import re

from yarl import URL

from .answers import (
    Answer,
    AnswerKind,
    error_body,
    inbound_item,
    message_item,
    parse_fields,
)
from .phones import hlr_details, network_for, phone_error
from .pricing import MessageKind, money, parts_for
from .state import (
    STATUS_ACCEPTED,
    STATUS_DELIVERED,
    STATUS_ERROR,
    STATUS_NOT_DELIVERED,
    STATUS_SCHEDULED,
    Account,
    Message,
    Store,
    format_time,
)
from .texts import (
    APIKEY_REQUIRED,
    INPUT_REQUIRED,
    INVALID_APIKEY,
    INVALID_CALLBACK,
    INVALID_IDS_LIST,
    INVALID_PHONE_LENGTH,
    INVALID_SEND_DATETIME,
    INVALID_SENDER,
    INVALID_SINCE,
    INVALID_TTL,
    LOOP_PROTECTION,
    NOT_ENOUGH_MONEY,
    PHONE_IN_BLACK_LIST,
    SENDER_NOT_ALLOWED,
    SPAM_PROTECTION_SURVEY,
    TEXT_IS_ADVERTISEMENT,
    UNDELIVERABLE,
    USER_BLOCKED,
    ApiError,
)

NUMBER_CHECKS = {"HLR": MessageKind.HLR, "PING": MessageKind.PING, "HLRVIP": MessageKind.HLRVIP}
SPECIAL_SENDERS = {
    "GOLOS": MessageKind.VOICE,
    "GOLOSM": MessageKind.VOICE,
    "FLASHCALL": MessageKind.FLASH_CALL,
    "2WAY": MessageKind.TWO_WAY,
}
# Letter names up to 11 latin characters (at least one letter), or a phone-like number.
SENDER_PATTERN = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 .\-_!&]{1,11}|[0-9]{1,15}")
ADVERTISEMENT_MARKERS = ("РЕКЛАМА", "ADVERTISEMENT")
FLASH_CALL_CODE = re.compile(r"[0-9]{4}")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
TTL_MINUTES = range(1, 1441)
# A send_datetime this little in the past is "now" that was rounded or delayed in transit.
PAST_GRACE = timedelta(seconds=60)
RECENT = timedelta(hours=24)
CHECK_ALL_LIMIT = 10_000
TEST_SERVER_ID = 1000
DEFAULT_SENDER = "smspilot.ru"


def parse_time(value: str) -> datetime | None:
    """Parse "YYYY-MM-DD HH:MM[:SS]" (UTC) or a unix time; None when it is neither."""
    value = value.strip()
    if value.isdecimal():
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    for time_format in TIME_FORMATS:
        try:
            return datetime.strptime(value, time_format).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def is_flag_set(params: Mapping[str, str], name: str) -> bool:
    """Return True when a 0/1 switch such as test or cost is on."""
    return params.get(name, "").strip() == "1"


@dataclass(frozen=True, slots=True, kw_only=True)
class _SendOptions:
    """The validated optional parameters of a send request."""

    kind: MessageKind
    sender: str
    # Set when SMSPilot replaces the `from` asked for (2WAY: the shared number).
    sender_orig: str | None
    service_number: str | None
    send_at: datetime | None
    scheduled: bool
    ttl: int | None
    callback: str | None
    callback_method: str


def _never() -> bool:
    """Report that no loop-protection fault is switched on."""
    return False


def handle_api_request(
    store: Store,
    params: Mapping[str, str],
    ip: str,
    *,
    loop_protection: Callable[[], bool] = _never,
) -> Answer:
    """Answer one /api.php request; refusals become `{"error": ...}` answers.

    `loop_protection` is asked once per valid send about to be stored: True refuses it with
    error 243 (it uses up one request of the loop-protection fault).
    """
    try:
        return _ApiRequest(store, params, loop_protection).answer()
    except ApiError as error:
        return Answer(kind=AnswerKind.ERROR, body=error_body(error, ip))


class _ApiRequest:
    """One authenticated API request being answered."""

    def __init__(
        self, store: Store, params: Mapping[str, str], loop_protection: Callable[[], bool]
    ) -> None:
        """Keep the store, the request's merged parameters and the loop-protection switch."""
        self.store = store
        self.params = params
        self.loop_protection = loop_protection

    def answer(self) -> Answer:
        """Authenticate, then dispatch on the parameter that names the request."""
        account = self._account()
        if "send" in self.params:
            return self._send(account)
        if "check" in self.params:
            return self._check(account)
        if "balance" in self.params:
            return self._balance(account)
        if "inbound" in self.params:
            return self._inbound(account)
        return self._user_info(account)

    def _account(self) -> Account:
        """Find the account of the request's API key."""
        api_key = self.params.get("apikey", "").strip()
        if not api_key:
            raise ApiError(APIKEY_REQUIRED)
        account = self.store.accounts.get(api_key)
        if account is None:
            raise ApiError(INVALID_APIKEY)
        if account.blocked:
            raise ApiError(USER_BLOCKED)
        return account

    # --- sending -------------------------------------------------------------------------------

    def _send(self, account: Account) -> Answer:
        """Send SMS, voice calls, FlashCalls, two-way SMS or number checks to a list of phones."""
        text = self.params.get("send", "")
        phones = [phone.strip() for phone in self.params.get("to", "").split(",") if phone.strip()]
        if not text.strip() or not phones:
            raise ApiError(INPUT_REQUIRED)
        options = self._send_options(account, text)
        now = self.store.now()
        # Every phone becomes a message; bad or black-listed phones are per-message errors.
        drafts = [(phone, self._phone_problem(phone)) for phone in phones]
        errors = [(phone, code) for phone, code in drafts if code is not None]
        if len(errors) > len(drafts) - len(errors):
            phone, code = errors[0]
            raise ApiError(code, phone=phone if code == INVALID_PHONE_LENGTH else None)
        if options.kind is MessageKind.TWO_WAY and not account.survey_template:
            # Free text from 2WAY needs a survey/voting template; the error names a phone.
            first_valid = next(phone for phone, code in drafts if code is None)
            raise ApiError(SPAM_PROTECTION_SURVEY, phone=first_valid)
        parts = parts_for(options.kind, text)
        prices = self.store.prices
        costs = [
            Decimal(0) if code is not None else prices.price_per_part(options.kind, phone) * parts
            for phone, code in drafts
        ]
        cost = sum(costs, Decimal(0))
        if is_flag_set(self.params, "cost"):
            return Answer(kind=AnswerKind.COST, body={"cost": money(cost)})
        if self.loop_protection():
            raise ApiError(LOOP_PROTECTION)
        if cost > account.balance:
            raise ApiError(NOT_ENOUGH_MONEY)
        test = is_flag_set(self.params, "test")
        # Test mode stores nothing; its ids start at 1000, the id the document checks with.
        first_id = TEST_SERVER_ID if test else self.store.take_server_ids(len(drafts))
        packet = [
            self._message(
                account,
                server_id=first_id + index,
                packet_id=first_id,
                phone=phone,
                error=code,
                price=price,
                text=text,
                parts=parts,
                options=options,
                now=now,
            )
            for index, ((phone, code), price) in enumerate(zip(drafts, costs, strict=True))
        ]
        stored: list[Message] = []
        if not test:
            self.store.store_packet(account, packet)
            account.balance -= cost
            stored = packet
        fields = parse_fields(self.params.get("fields"))
        items: list[dict[str, str]] = [message_item(message, fields) for message in packet]
        totals = {
            "balance": money(account.balance),
            "cost": money(cost),
            "server_packet_id": str(first_id),
        }
        if options.kind is MessageKind.VOICE:
            # The document's voice answer carries the totals as one more element of `send`.
            return Answer(
                kind=AnswerKind.VOICE_SEND, body={"send": [*items, totals]}, packet=stored
            )
        return Answer(kind=AnswerKind.SEND, body={"send": items, **totals}, packet=stored)

    def _phone_problem(self, phone: str) -> int | None:
        """Return the per-message error code of a phone, or None when it can be sent to."""
        code = phone_error(phone)
        if code is None and phone in self.store.blacklist:
            return PHONE_IN_BLACK_LIST
        return code

    def _message(
        self,
        account: Account,
        *,
        server_id: int,
        packet_id: int,
        phone: str,
        error: int | None,
        price: Decimal,
        text: str,
        parts: int,
        options: _SendOptions,
        now: datetime,
    ) -> Message:
        """Build one outgoing message with its planned final status."""
        network = network_for(phone)
        if error is not None:
            status, final_status, final_error = STATUS_ERROR, STATUS_ERROR, error
        elif phone in self.store.undeliverable:
            status, final_status, final_error = STATUS_ACCEPTED, STATUS_NOT_DELIVERED, UNDELIVERABLE
        else:
            status, final_status, final_error = STATUS_ACCEPTED, STATUS_DELIVERED, None
        if error is None and options.scheduled:
            status = STATUS_SCHEDULED
        return Message(
            server_id=server_id,
            packet_id=packet_id,
            api_key=account.api_key,
            kind=options.kind,
            phone=phone,
            text=text,
            sender=options.sender,
            sender_orig=options.sender_orig,
            service_number=options.service_number,
            price=price,
            parts=parts,
            status=status,
            error=error,
            final_status=final_status,
            final_error=final_error,
            created=now,
            modified=now,
            send_at=options.send_at,
            ttl=options.ttl,
            callback=options.callback,
            callback_method=options.callback_method,
            country=network.country,
            operator=network.operator,
            hlr=hlr_details(phone) if options.kind is MessageKind.HLRVIP else {},
        )

    def _send_options(self, account: Account, text: str) -> _SendOptions:
        """Validate what kind of message this is and its optional parameters."""
        kind, sender = self._kind_and_sender(account, text)
        if kind is MessageKind.FLASH_CALL and not FLASH_CALL_CODE.fullmatch(text):
            raise ApiError(INPUT_REQUIRED)
        if not kind.is_number_check and any(
            marker in text.upper() for marker in ADVERTISEMENT_MARKERS
        ):
            raise ApiError(TEXT_IS_ADVERTISEMENT)
        send_at, scheduled = self._send_at()
        callback = self.params.get("callback", "").strip() or None
        if callback is not None and not _is_http_url(callback):
            raise ApiError(INVALID_CALLBACK)
        method = self.params.get("callback_method", "").strip().lower()
        sender_orig = service_number = None
        if kind is MessageKind.TWO_WAY:
            # "SMS придёт от сервисного номера": the shared number replaces 2WAY.
            sender_orig, service_number = sender, self.store.shared_number
            sender = service_number
        return _SendOptions(
            kind=kind,
            sender=sender,
            sender_orig=sender_orig,
            service_number=service_number,
            send_at=send_at,
            scheduled=scheduled,
            ttl=self._ttl(),
            callback=callback,
            callback_method="post" if method == "post" else "get",
        )

    def _kind_and_sender(self, account: Account, text: str) -> tuple[MessageKind, str]:
        """Work out the message kind from `send` and `from`, checking the sender name."""
        if text in NUMBER_CHECKS:
            return NUMBER_CHECKS[text], text
        sender = self.params.get("from", "").strip()
        if not sender:
            return MessageKind.SMS, account.default_sender or DEFAULT_SENDER
        special = SPECIAL_SENDERS.get(sender.upper())
        if special is not None:
            return special, sender.upper()
        if not SENDER_PATTERN.fullmatch(sender):
            raise ApiError(INVALID_SENDER)
        for registered in account.senders:
            if registered.casefold() == sender.casefold():
                return MessageKind.SMS, registered
        raise ApiError(SENDER_NOT_ALLOWED)

    def _send_at(self) -> tuple[datetime | None, bool]:
        """Return the validated send_datetime and whether it lies in the future."""
        value = self.params.get("send_datetime", "").strip()
        if not value:
            return None, False
        send_at = parse_time(value)
        now = self.store.now()
        if send_at is None or send_at < now - PAST_GRACE:
            raise ApiError(INVALID_SEND_DATETIME)
        return send_at, send_at > now

    def _ttl(self) -> int | None:
        """Return the validated ttl in minutes (1..1440), or None when not given."""
        value = self.params.get("ttl", "").strip()
        if not value:
            return None
        if not value.isdecimal() or int(value) not in TTL_MINUTES:
            raise ApiError(INVALID_TTL)
        return int(value)

    # --- reading -------------------------------------------------------------------------------

    def _check(self, account: Account) -> Answer:
        """Answer statuses by ids, for the last 24 hours, for a packet, or for everything."""
        value = self.params.get("check", "").strip().lower()
        fields = parse_fields(self.params.get("fields"))
        if value == "recent":
            messages = self._recent_messages(account)
        elif value == "all":
            messages = [self.store.messages[i] for i in account.message_ids[-CHECK_ALL_LIMIT:]]
        elif value == "packet":
            messages = self._packet_messages(account)
        else:
            return self._check_ids(account, value, fields)
        return Answer(
            kind=AnswerKind.CHECK,
            body={"check": [message_item(message, fields) for message in messages]},
        )

    def _check_ids(self, account: Account, value: str, fields: frozenset[str]) -> Answer:
        """Answer statuses of listed ids; unknown ids are skipped, none found is an error."""
        texts = [part.strip() for part in value.split(",") if part.strip()]
        if not texts or not all(text.isdecimal() for text in texts):
            raise ApiError(INVALID_IDS_LIST)
        test = is_flag_set(self.params, "test")
        items: list[dict[str, str]] = []
        for server_id in map(int, texts):
            if test and server_id == TEST_SERVER_ID:
                items.append(self._test_check_item(account))
                continue
            message = self.store.messages.get(server_id)
            if message is not None and message.api_key == account.api_key:
                items.append(message_item(message, fields))
        if not items:
            raise ApiError(INVALID_IDS_LIST)
        return Answer(kind=AnswerKind.CHECK, body={"check": items})

    def _test_check_item(self, account: Account) -> dict[str, str]:
        """Return the delivered status the document promises for id 1000 in test mode."""
        price = self.store.prices.price_per_part(MessageKind.SMS, account.phone)
        return {
            "server_id": str(TEST_SERVER_ID),
            "phone": account.phone,
            "price": money(price),
            "status": str(STATUS_DELIVERED),
        }

    def _recent_messages(self, account: Account) -> list[Message]:
        """Return the account's messages created in the last 24 hours, oldest first."""
        cutoff = self.store.now() - RECENT
        recent: list[Message] = []
        # Ids are in creation order: walk back from the newest until the cutoff.
        for server_id in reversed(account.message_ids):
            message = self.store.messages[server_id]
            if message.created < cutoff:
                break
            recent.append(message)
        recent.reverse()
        return recent

    def _packet_messages(self, account: Account) -> list[Message]:
        """Return the messages of the packet named by `id`."""
        packet_id = self.params.get("id", "").strip()
        if not packet_id.isdecimal():
            raise ApiError(INVALID_IDS_LIST)
        server_ids = self.store.packets.get(int(packet_id))
        if not server_ids or self.store.messages[server_ids[0]].api_key != account.api_key:
            raise ApiError(INVALID_IDS_LIST)
        return [self.store.messages[server_id] for server_id in server_ids]

    def _balance(self, account: Account) -> Answer:
        """Answer the balance in roubles, or as the number of SMS it pays for."""
        if self.params.get("balance", "").strip().lower() == "sms":
            count = max(int(account.balance // self.store.prices.sms), 0)
            return Answer(kind=AnswerKind.BALANCE, body={"balance": str(count)})
        return Answer(kind=AnswerKind.BALANCE, body={"balance": money(account.balance)})

    def _inbound(self, account: Account) -> Answer:
        """Answer new (then marked seen), all, or since-a-time inbound messages."""
        value = self.params.get("inbound", "").strip()
        if value.lower() == "new":
            records = [record for record in account.mailbox if not record.seen]
            items = [inbound_item(record) for record in records]
            for record in records:
                record.seen = True
        elif value.lower() == "all":
            items = [inbound_item(record) for record in account.mailbox]
        else:
            since = parse_time(value)
            if since is None:
                raise ApiError(INVALID_SINCE)
            items = [inbound_item(record) for record in account.mailbox if record.created > since]
        return Answer(kind=AnswerKind.INBOUND, body={"inbound": items})

    def _user_info(self, account: Account) -> Answer:
        """Answer the account's details like the document's user-info example."""
        return Answer(
            kind=AnswerKind.USER_INFO,
            body={
                "id": str(account.user_id),
                "tariff_id": str(account.tariff_id),
                "email": account.email,
                "name": account.name,
                "phone": account.phone,
                "balance": money(account.balance),
                "date": format_time(account.registered),
                "default_sender": account.default_sender or "",
                "senders": ",".join(account.senders),
            },
        )


def _is_http_url(value: str) -> bool:
    """Return True for an absolute http(s) URL with a host."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in {"http", "https"} and bool(url.host)
