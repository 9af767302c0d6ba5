"""What the emulator remembers: accounts, outgoing messages, inbound mailboxes, recorded requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .pricing import MessageKind, Prices

DEMO_API_KEY = "DEMOCBA864C3A2493CCBA809E18B78B7E7B1E36891FB9EB0EB619DB8EF6ECAA7"
DEMO_USER_ID = 5671

# The document's statuses.
STATUS_ERROR = -2
STATUS_NOT_DELIVERED = -1
STATUS_ACCEPTED = 0
STATUS_SENT_TO_OPERATOR = 1
STATUS_DELIVERED = 2
STATUS_SCHEDULED = 3
FINAL_STATUSES = frozenset({STATUS_ERROR, STATUS_NOT_DELIVERED, STATUS_DELIVERED})

# Numbers far from anything the document uses, so ids from different runs never look alike.
FIRST_SERVER_ID = 182_300_000
FIRST_INBOUND_ID = 54_321
FIRST_USER_ID = 10_001

# Service numbers from the document's inbound examples. Inbound SMS arrive on a number of the
# account's own unless a test names another; 2WAY SMS go out from the shared number, where an
# SMS reaches an account only as an answer to its 2WAY SMS or when it starts with its prefix.
DEFAULT_INBOUND_NUMBER = "79533984570"
SHARED_NUMBER = "79581000255"

type Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Format a time as SMSPilot does: "YYYY-MM-DD HH:MM:SS" in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One request that reached /api.php, with query and form parameters merged."""

    method: str
    path: str
    params: dict[str, str]
    query: str = ""


@dataclass(slots=True, kw_only=True)
class InboundRecord:
    """One SMS a subscriber sent to the account's service number."""

    id: int
    phone: str
    num: str
    text: str
    created: datetime
    seen: bool = False
    # Whether the webhook answered 2xx; None when no webhook was set.
    webhook_delivered: bool | None = None


@dataclass(slots=True, kw_only=True)
class Account:
    """One SMSPilot user, reachable by its API key."""

    api_key: str
    user_id: int
    balance: Decimal
    senders: tuple[str, ...]
    default_sender: str | None
    email: str
    name: str
    phone: str
    blocked: bool = False
    inbound_webhook_url: str | None = None
    # The first word an SMS to the shared number needs to reach this account: by default the
    # user code (contract number, the user id). Emptied after creation, it matches nothing.
    prefix: str = ""
    # Whether the account has a template marked survey/voting: without one, 2WAY is error 227.
    survey_template: bool = True
    tariff_id: int = 5
    registered: datetime = field(default_factory=utc_now)
    mailbox: list[InboundRecord] = field(default_factory=list)
    # Server ids in creation order, so "recent" and "all" never scan other accounts.
    message_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Give the account its user code as the prefix when none was set."""
        if not self.prefix:
            self.prefix = str(self.user_id)


@dataclass(slots=True, kw_only=True)
class Message:
    """One stored outgoing message, call or number check, with its status life."""

    server_id: int
    packet_id: int
    api_key: str
    kind: MessageKind
    phone: str
    text: str
    sender: str
    price: Decimal
    parts: int
    status: int
    created: datetime
    modified: datetime
    final_status: int
    error: int | None = None
    final_error: int | None = None
    send_at: datetime | None = None
    ttl: int | None = None
    # The `from` asked for when SMSPilot replaced it (2WAY goes out from the shared number).
    sender_orig: str | None = None
    # The number a subscriber answers to: set for 2WAY SMS only.
    service_number: str | None = None
    callback: str | None = None
    callback_method: str = "get"
    country: str = ""
    operator: str = ""
    hlr: dict[str, str] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        """True once the status can no longer change."""
        return self.status in FINAL_STATUSES


@dataclass(slots=True, kw_only=True)
class Store:
    """All emulator data plus the knobs tests turn (prices, black list, undeliverable numbers)."""

    clock: Clock = utc_now
    accounts: dict[str, Account] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    packets: dict[int, list[int]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    prices: Prices = field(default_factory=Prices)
    blacklist: set[str] = field(default_factory=lambda: {"79999999999"})
    undeliverable: set[str] = field(default_factory=lambda: {"79000000000"})
    shared_number: str = SHARED_NUMBER
    # The newest 2WAY SMS not refused, by (service number, phone): where an answer goes.
    two_way_latest: dict[tuple[str, str], int] = field(default_factory=dict)
    next_server_id: int = FIRST_SERVER_ID
    next_inbound_id: int = FIRST_INBOUND_ID
    next_user_id: int = FIRST_USER_ID

    def now(self) -> datetime:
        """Return the emulator's current time (through the replaceable clock)."""
        return self.clock()

    def take_server_ids(self, count: int) -> int:
        """Hand out `count` consecutive outgoing message ids; return the first."""
        first = self.next_server_id
        self.next_server_id += count
        return first

    def take_inbound_id(self) -> int:
        """Hand out the next inbound message id."""
        inbound_id = self.next_inbound_id
        self.next_inbound_id += 1
        return inbound_id

    def take_user_id(self) -> int:
        """Hand out a user id for an account added without one."""
        user_id = self.next_user_id
        self.next_user_id += 1
        return user_id

    def new_inbound(self, phone: str, text: str, num: str) -> InboundRecord:
        """Create an unseen inbound record stamped with the emulator's clock."""
        return InboundRecord(
            id=self.take_inbound_id(), phone=phone, num=num, text=text, created=self.now()
        )

    def store_packet(self, account: Account, packet: list[Message]) -> None:
        """Remember a sent packet under its id (the first message's server id)."""
        for message in packet:
            self.messages[message.server_id] = message
            account.message_ids.append(message.server_id)
            if message.service_number is not None and message.error is None:
                self.two_way_latest[message.service_number, message.phone] = message.server_id
        self.packets[packet[0].packet_id] = [message.server_id for message in packet]


def demo_account() -> Account:
    """Build the document's demo user (id 5671, stray spaces in the name included)."""
    return Account(
        api_key=DEMO_API_KEY,
        user_id=DEMO_USER_ID,
        balance=Decimal("2934.76"),
        senders=("INFORM", "test"),
        default_sender="INFORM",
        email="info@example.com",
        name=" Иванов Сергей Николаевич ",
        phone="79087964781",
        # SMSPilot's prefix is the user code (contract number): 5671 in the user-info example.
        prefix=str(DEMO_USER_ID),
        tariff_id=5,
        registered=datetime(2010, 6, 3, 9, 45, 41, tzinfo=UTC),
    )
