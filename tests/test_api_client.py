"""The SMSPilot client against the emulator over real HTTP on 127.0.0.1."""

# Russian texts and names are intended test data.
# ruff: noqa: RUF001

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
import logging
import socket
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from custom_components.smspilot.api import (
    DEFAULT_API_URL,
    ApiErrorDetail,
    InboundMessage,
    MessageState,
    MessageStatus,
    NumberCheckMethod,
    SendOptions,
    SendResult,
    SentMessage,
    SmsPilotAccountBlockedError,
    SmsPilotAuthenticationError,
    SmsPilotClient,
    SmsPilotConnectionError,
    SmsPilotError,
    SmsPilotInsufficientFundsError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    UserInfo,
    count_sms_parts,
    parse_status_callback,
)
from smspilot_emulator import DEMO_API_KEY, Emulator

PHONE = "79087964781"
OTHER_PHONE = "79161231212"
BLACKLISTED = "79999999999"
UNDELIVERABLE = "79000000000"
FOREIGN_PHONE = "4915112345678"
SECRET_KEY = "SECRETKEY0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHI"
SECRET_TEXT = "Код доступа 4711 для двери"


@dataclass
class Traffic:
    """Every request the client's session started, as (method, URL)."""

    requests: list[tuple[str, URL]] = field(default_factory=list)


@pytest.fixture
def traffic() -> Traffic:
    """Collect the client's outgoing requests."""
    return Traffic()


@pytest.fixture
async def session(socket_enabled: None, traffic: Traffic) -> AsyncIterator[aiohttp.ClientSession]:
    """Open an aiohttp session that records each request's method and URL."""

    async def on_request_start(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        traffic.requests.append((params.method, params.url))

    trace = aiohttp.TraceConfig()
    # aiohttp's and aiosignal's type hints disagree about signal callbacks; the call is fine.
    cast("Any", trace.on_request_start).append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as client_session:
        yield client_session


@pytest.fixture
def client(emulator: Emulator, session: aiohttp.ClientSession) -> SmsPilotClient:
    """Return a client of the emulator's demo account."""
    return SmsPilotClient(session, DEMO_API_KEY, api_url=emulator.api_url, request_timeout=5)


@dataclass
class Receiver:
    """A local HTTP endpoint that records the status callbacks it receives."""

    url: str
    calls: list[tuple[str, dict[str, str]]]


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """Run a callback receiver on 127.0.0.1 for one test."""
    calls: list[tuple[str, dict[str, str]]] = []

    async def handle(request: web.Request) -> web.Response:
        fields = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            fields.update({key: value for key, value in form.items() if isinstance(value, str)})
        calls.append((request.method, fields))
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/sms-status", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Receiver(url=f"http://127.0.0.1:{port}/sms-status", calls=calls)
    finally:
        await runner.cleanup()


async def wait_until(condition: Callable[[], bool]) -> None:
    """Wait (up to 10 s) for a server-side effect of a request the client gave up on."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("The emulator did not finish the request in time")


def last_params(emulator: Emulator) -> dict[str, str]:
    """Return the parameters of the last API request the emulator saw."""
    return emulator.requests[-1].params


# Account


async def test_user_info(client: SmsPilotClient, emulator: Emulator, traffic: Traffic) -> None:
    """The demo account comes back exactly, name stripped, date as UTC."""
    assert await client.get_user_info() == UserInfo(
        id="5671",
        tariff_id="5",
        email="info@example.com",
        name="Иванов Сергей Николаевич",
        phone=PHONE,
        balance=Decimal("2934.76"),
        registered=datetime(2010, 6, 3, 9, 45, 41, tzinfo=UTC),
        default_sender="INFORM",
        senders=("INFORM", "test"),
    )
    assert last_params(emulator) == {"apikey": DEMO_API_KEY, "format": "json"}
    assert traffic.requests == [("POST", URL(emulator.api_url))]


async def test_balance(client: SmsPilotClient, emulator: Emulator) -> None:
    """balance=rur gives roubles as Decimal; balance=sms a whole count at 1.31 each."""
    assert await client.get_balance() == Decimal("2934.76")
    assert last_params(emulator)["balance"] == "rur"
    assert await client.get_balance_sms() == 2240
    assert last_params(emulator)["balance"] == "sms"


async def test_other_account(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """Each key sees its own account."""
    emulator.add_account(
        "KEY2", user_id=777, balance=Decimal("100.00"), senders=("ALPHA", "BETA"), name="Bob"
    )
    client = SmsPilotClient(session, "KEY2", api_url=emulator.api_url)
    info = await client.get_user_info()
    assert (info.id, info.name, info.balance, info.senders) == (
        "777",
        "Bob",
        Decimal("100.00"),
        ("ALPHA", "BETA"),
    )


# Sending


async def test_send_sms_single(client: SmsPilotClient, emulator: Emulator) -> None:
    """One SMS: accepted, priced, charged; the packet id is the first server id."""
    result = await client.send_sms([PHONE], "Hello", sender="INFORM")
    (message,) = result.messages
    assert result == SendResult(
        messages=(
            SentMessage(
                server_id=message.server_id,
                phone=PHONE,
                status=MessageStatus.ACCEPTED,
                price=Decimal("1.31"),
            ),
        ),
        balance=Decimal("2933.45"),
        cost=Decimal("1.31"),
        packet_id=message.server_id,
    )
    assert emulator.messages[message.server_id].text == "Hello"
    assert last_params(emulator) == {
        "apikey": DEMO_API_KEY,
        "format": "json",
        "send": "Hello",
        "to": PHONE,
        "from": "INFORM",
    }


async def test_send_sms_packet_partly_refused(client: SmsPilotClient) -> None:
    """A black-listed number in a packet is a per-message error, the rest are sent."""
    result = await client.send_sms([PHONE, OTHER_PHONE, BLACKLISTED], "Hello")
    assert [m.phone for m in result.messages] == [PHONE, OTHER_PHONE, BLACKLISTED]
    assert [m.status for m in result.messages] == [
        MessageStatus.ACCEPTED,
        MessageStatus.ACCEPTED,
        MessageStatus.ERROR,
    ]
    assert result.messages[2].error == ApiErrorDetail(
        code=212, description="Phone in black list", description_ru="Телефон в черном списке"
    )
    assert result.messages[2].price == Decimal("0.00")
    assert result.cost == Decimal("2.62")
    assert result.packet_id == result.messages[0].server_id


async def test_send_sms_recipients_forms(client: SmsPilotClient, emulator: Emulator) -> None:
    """A single string, a comma list and "+" prefixes all become the API's comma list."""
    await client.send_sms("+79087964781", "a")
    assert last_params(emulator)["to"] == PHONE
    await client.send_sms(f" {PHONE} , +{OTHER_PHONE} ,", "a")
    assert last_params(emulator)["to"] == f"{PHONE},{OTHER_PHONE}"
    await client.send_sms((PHONE, OTHER_PHONE), "a")
    assert last_params(emulator)["to"] == f"{PHONE},{OTHER_PHONE}"


@pytest.mark.parametrize(
    "text",
    ["a" * 160, "a" * 161, "{" * 80, "€" * 81, "я" * 70, "я" * 71, "Привет, " * 30],
)
async def test_send_sms_parts_match_count(client: SmsPilotClient, text: str) -> None:
    """The price charged is count_sms_parts(text).parts times the per-part price."""
    result = await client.send_sms([PHONE], text, options=SendOptions(test=True))
    assert result.cost == Decimal("1.31") * count_sms_parts(text).parts


async def test_send_sms_foreign_price(client: SmsPilotClient) -> None:
    """Numbers outside +7 cost 2.21."""
    result = await client.send_sms([FOREIGN_PHONE], "Hi")
    assert result.messages[0].price == Decimal("2.21")


async def test_send_sms_utf8_text(client: SmsPilotClient, emulator: Emulator) -> None:
    """Cyrillic and emoji arrive intact (UTF-8 form body)."""
    text = "Проверка связи ✓ 😀 «кавычки» & = + %"
    result = await client.send_sms([PHONE], text)
    assert emulator.messages[result.messages[0].server_id].text == text


async def test_send_sms_scheduled(client: SmsPilotClient, emulator: Emulator) -> None:
    """A future send_at is written in UTC and the message waits with status 3."""
    moscow = timezone(timedelta(hours=3))
    send_at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    result = await client.send_sms(
        [PHONE], "Later", options=SendOptions(send_at=send_at.astimezone(moscow), ttl=60)
    )
    assert result.messages[0].status is MessageStatus.SCHEDULED
    params = last_params(emulator)
    assert params["send_datetime"] == send_at.strftime("%Y-%m-%d %H:%M:%S")
    assert params["ttl"] == "60"
    stored = emulator.messages[result.messages[0].server_id]
    assert (stored.send_at, stored.ttl) == (send_at, 60)


async def test_send_sms_naive_time_refused_locally(
    client: SmsPilotClient, emulator: Emulator
) -> None:
    """A naive datetime is ambiguous; nothing is sent."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.send_sms([PHONE], "x", options=SendOptions(send_at=datetime(2030, 1, 1)))  # noqa: DTZ001
    assert emulator.requests == []


async def test_send_sms_test_mode(client: SmsPilotClient, emulator: Emulator) -> None:
    """test=1 answers like a send but stores and charges nothing."""
    result = await client.send_sms([PHONE], "Hello", options=SendOptions(test=True))
    assert result.messages[0].status is MessageStatus.ACCEPTED
    assert result.cost == Decimal("1.31")
    assert last_params(emulator)["test"] == "1"
    assert emulator.messages == {}
    assert await client.get_balance() == Decimal("2934.76")


async def test_send_with_callback_post(
    client: SmsPilotClient, emulator: Emulator, receiver: Receiver
) -> None:
    """Status changes are POSTed to the callback URL and parse into StatusCallback."""
    result = await client.send_sms(
        [PHONE, UNDELIVERABLE], "Hello", options=SendOptions(callback=receiver.url)
    )
    params = last_params(emulator)
    assert (params["callback"], params["callback_method"]) == (receiver.url, "post")
    await emulator.complete_all()
    final = {
        fields["phone"]: parse_status_callback(fields)
        for method, fields in receiver.calls
        if method == "POST" and fields["status"] in {"2", "-1"}
    }
    assert final[PHONE].status is MessageStatus.DELIVERED
    assert final[PHONE].error is None
    assert final[PHONE].server_id == result.messages[0].server_id
    assert final[UNDELIVERABLE].status is MessageStatus.NOT_DELIVERED
    assert final[UNDELIVERABLE].error == ApiErrorDetail(
        code=604, description="Undeliverable", description_ru="Невозможно доставить"
    )


async def test_send_with_callback_get_and_fields(
    client: SmsPilotClient, emulator: Emulator, receiver: Receiver
) -> None:
    """callback_method=get calls with a query string; `fields` in the URL adds attributes."""
    await client.send_sms(
        [PHONE],
        "Hello",
        options=SendOptions(callback=f"{receiver.url}?fields=sender,parts", callback_method="GET"),
    )
    assert last_params(emulator)["callback_method"] == "get"
    await emulator.complete_all()
    assert receiver.calls
    assert all(method == "GET" for method, _ in receiver.calls)
    callback = parse_status_callback(receiver.calls[-1][1])
    assert callback.status is MessageStatus.DELIVERED
    assert callback.attributes["sender"] == "INFORM"
    assert callback.attributes["parts"] == "1"


async def test_callback_method_checked_locally(client: SmsPilotClient, emulator: Emulator) -> None:
    """Only get and post exist."""
    with pytest.raises(ValueError, match="callback_method"):
        await client.send_sms(
            [PHONE], "x", options=SendOptions(callback="http://127.0.0.1/", callback_method="put")
        )
    assert emulator.requests == []


async def test_estimate_cost(client: SmsPilotClient, emulator: Emulator) -> None:
    """cost=1 prices without sending or charging."""
    cost = await client.estimate_cost([PHONE, FOREIGN_PHONE], "Hello")
    assert cost == Decimal("3.52")
    assert last_params(emulator)["cost"] == "1"
    assert emulator.messages == {}
    assert await client.get_balance() == Decimal("2934.76")


async def test_send_voice(client: SmsPilotClient, emulator: Emulator) -> None:
    """Voice answers carry the packet totals inside `send`; the client finds them there."""
    result = await client.send_voice([PHONE, OTHER_PHONE, BLACKLISTED], "Привет")
    assert last_params(emulator)["from"] == "GOLOS"
    assert len(result.messages) == 3
    assert [m.price for m in result.messages] == [Decimal("0.50"), Decimal("0.50"), Decimal("0.00")]
    assert result.messages[2].error is not None
    assert result.messages[2].error.code == 212
    assert result.cost == Decimal("1.00")
    assert result.balance == Decimal("2933.76")
    assert result.packet_id == result.messages[0].server_id
    male = await client.send_voice([PHONE], "Hello", sender="GOLOSM")
    assert last_params(emulator)["from"] == "GOLOSM"
    assert male.cost == Decimal("0.50")


async def test_send_flash_call(client: SmsPilotClient, emulator: Emulator) -> None:
    """FlashCall: four-digit code, sender FLASHCALL, price 0.80."""
    result = await client.send_flash_call(PHONE, "1234")
    params = last_params(emulator)
    assert (params["send"], params["to"], params["from"]) == ("1234", PHONE, "FLASHCALL")
    assert result.messages[0].price == Decimal("0.80")
    with pytest.raises(SmsPilotInvalidInputError) as caught:
        await client.send_flash_call(PHONE, "12345")
    assert (caught.value.code, caught.value.field) == (10, None)


async def test_send_two_way(client: SmsPilotClient, emulator: Emulator) -> None:
    """Two-way SMS: sender 2WAY, price 3.13."""
    result = await client.send_two_way([PHONE], "проверка")
    assert last_params(emulator)["from"] == "2WAY"
    assert result.messages[0].price == Decimal("3.13")
    assert result.cost == Decimal("3.13")


@pytest.mark.parametrize("method", list(NumberCheckMethod))
async def test_check_numbers(
    client: SmsPilotClient, emulator: Emulator, method: NumberCheckMethod
) -> None:
    """HLR, PING and HLRVIP are sends of the method's name at 0.15 per number."""
    result = await client.check_numbers([PHONE, OTHER_PHONE], method)
    assert last_params(emulator)["send"] == method.value
    assert [m.price for m in result.messages] == [Decimal("0.15"), Decimal("0.15")]
    assert result.cost == Decimal("0.30")


async def test_hlrvip_details(client: SmsPilotClient, emulator: Emulator) -> None:
    """fields=all on an HLRVIP result gives imsi, mcc, mnc, cn, net, gcn, gnet."""
    result = await client.check_numbers([PHONE, UNDELIVERABLE], "HLRVIP")
    await emulator.complete_all()
    states = await client.get_status([m.server_id for m in result.messages], fields="all")
    assert last_params(emulator)["fields"] == "all"
    assert [s.status for s in states] == [MessageStatus.DELIVERED, MessageStatus.NOT_DELIVERED]
    assert {"imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet"} <= set(states[0].attributes)
    assert states[0].attributes["imsi"].startswith(states[0].attributes["mcc"])


# Statuses


async def test_status_lifecycle(client: SmsPilotClient, emulator: Emulator) -> None:
    """Messages start accepted and end delivered or not delivered (604)."""
    result = await client.send_sms([PHONE, UNDELIVERABLE, BLACKLISTED], "Hello")
    ids = [m.server_id for m in result.messages]
    before = await client.get_status(ids)
    assert before[0].status in {MessageStatus.ACCEPTED, MessageStatus.SENT_TO_OPERATOR}
    assert isinstance(before[0].status, MessageStatus)
    assert not before[0].status.is_final
    await emulator.complete_all()
    after = await client.get_status(ids)
    assert after == (
        MessageState(
            server_id=ids[0], phone=PHONE, status=MessageStatus.DELIVERED, price=Decimal("1.31")
        ),
        MessageState(
            server_id=ids[1],
            phone=UNDELIVERABLE,
            status=MessageStatus.NOT_DELIVERED,
            price=Decimal("1.31"),
            error=ApiErrorDetail(
                code=604, description="Undeliverable", description_ru="Невозможно доставить"
            ),
        ),
        MessageState(
            server_id=ids[2],
            phone=BLACKLISTED,
            status=MessageStatus.ERROR,
            price=Decimal("0.00"),
            error=ApiErrorDetail(
                code=212,
                description="Phone in black list",
                description_ru="Телефон в черном списке",
            ),
        ),
    )
    assert last_params(emulator)["check"] == ",".join(map(str, ids))


async def test_status_fields(client: SmsPilotClient, emulator: Emulator) -> None:
    """Requested fields come back as attributes; the core fields are always asked for."""
    result = await client.send_sms([PHONE], "Hello")
    (state,) = await client.get_status([result.messages[0].server_id], fields=["sender", "parts"])
    assert last_params(emulator)["fields"] == (
        "server_id,phone,price,status,error,error_en,error_ru,sender,parts"
    )
    assert dict(state.attributes) == {"sender": "INFORM", "parts": "1"}


async def test_recent_packet_and_all_status(client: SmsPilotClient, emulator: Emulator) -> None:
    """check=recent, check=packet&id=P and check=all."""
    first = await client.send_sms([PHONE, OTHER_PHONE], "One")
    second = await client.send_sms([PHONE], "Two")
    assert first.packet_id is not None
    packet = await client.get_packet_status(first.packet_id)
    assert (last_params(emulator)["check"], last_params(emulator)["id"]) == (
        "packet",
        str(first.packet_id),
    )
    assert [s.server_id for s in packet] == [m.server_id for m in first.messages]
    all_ids = [m.server_id for m in (*first.messages, *second.messages)]
    assert [s.server_id for s in await client.get_recent_status()] == all_ids
    assert last_params(emulator)["check"] == "recent"
    assert [s.server_id for s in await client.get_all_status(fields="all")] == all_ids
    assert last_params(emulator)["check"] == "all"


async def test_status_of_nothing_is_not_requested(
    client: SmsPilotClient, emulator: Emulator
) -> None:
    """An empty id list needs no request."""
    assert await client.get_status([]) == ()
    assert emulator.requests == []


async def test_unknown_ids(client: SmsPilotClient) -> None:
    """Unknown ids and unknown packets are error 303 (field ids)."""
    with pytest.raises(SmsPilotInvalidInputError) as caught:
        await client.get_status([1])
    assert (caught.value.code, caught.value.field) == (303, "ids")
    with pytest.raises(SmsPilotInvalidInputError):
        await client.get_packet_status(1)


# Inbound


async def test_inbound(client: SmsPilotClient, emulator: Emulator) -> None:
    """inbound=new gives unseen messages once; all lists everything; since filters by time."""
    first = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "Ура работает!")
    second = await emulator.inject_inbound(DEMO_API_KEY, OTHER_PHONE, "stop", num="79021121075")
    new = await client.get_inbound()
    assert last_params(emulator)["inbound"] == "new"
    assert new == (
        InboundMessage(
            id=first.id,
            phone=PHONE,
            num="79533984570",
            text="Ура работает!",
            created=first.created.replace(microsecond=0),
            seen=False,
        ),
        InboundMessage(
            id=second.id,
            phone=OTHER_PHONE,
            num="79021121075",
            text="stop",
            created=second.created.replace(microsecond=0),
            seen=False,
        ),
    )
    assert await client.get_inbound() == ()
    everything = await client.get_inbound(new_only=False)
    assert last_params(emulator)["inbound"] == "all"
    assert [(m.id, m.seen) for m in everything] == [(first.id, True), (second.id, True)]
    since = datetime.now(UTC) - timedelta(hours=1)
    assert len(await client.get_inbound(since=since)) == 2
    assert last_params(emulator)["inbound"] == since.strftime("%Y-%m-%d %H:%M:%S")
    assert await client.get_inbound(since=datetime.now(UTC) + timedelta(hours=1)) == ()


# API errors


async def test_unknown_key(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """A wrong key is 101, an authentication error."""
    client = SmsPilotClient(session, "WRONGKEY", api_url=emulator.api_url)
    with pytest.raises(SmsPilotAuthenticationError) as caught:
        await client.get_user_info()
    assert caught.value.code == 101
    assert caught.value.description == "Invalid APIKEY"


async def test_missing_key(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """An empty key is 100, an authentication error."""
    client = SmsPilotClient(session, "", api_url=emulator.api_url)
    with pytest.raises(SmsPilotAuthenticationError) as caught:
        await client.get_balance()
    assert caught.value.code == 100


async def test_blocked_account(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """A blocked account is 106 with the document's extra status attributes."""
    emulator.add_account("BLOCKED", blocked=True)
    client = SmsPilotClient(session, "BLOCKED", api_url=emulator.api_url)
    with pytest.raises(SmsPilotAccountBlockedError) as caught:
        await client.get_user_info()
    error = caught.value
    assert (error.code, error.description) == (106, "User is blocked")
    assert error.details["status"] == "-5"
    assert error.details["status_ru"] == "Проблемы с эл. почтой"
    assert error.details["ip"] == "127.0.0.1"


async def test_not_enough_money(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """A packet the balance cannot pay is refused whole: 241, nothing charged."""
    account = emulator.add_account("POOR", balance=Decimal("1.00"))
    client = SmsPilotClient(session, "POOR", api_url=emulator.api_url)
    with pytest.raises(SmsPilotInsufficientFundsError) as caught:
        await client.send_sms([PHONE], "Hello")
    assert caught.value.code == 241
    assert account.balance == Decimal("1.00")
    assert emulator.messages == {}


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"to": ["abc"]}, 111, "phone"),
        ({"to": ["7908796478"]}, 215, "phone"),
        ({"to": ["123"]}, 215, "phone"),
        ({"to": [BLACKLISTED]}, 212, "phone"),
        ({"to": [PHONE, "abc", "x"]}, 111, "phone"),
        ({"to": []}, 10, None),
        ({"text": ""}, 10, None),
        ({"sender": "ЖЖЖ"}, 115, "sender"),
        ({"sender": "OTHER"}, 116, "sender"),
        ({"text": "РЕКЛАМА: скидки"}, 223, "text"),
        ({"text": "This is an ADVERTISEMENT"}, 223, "text"),
        ({"send_at": datetime(2020, 1, 1, tzinfo=UTC)}, 250, "send_datetime"),
        ({"ttl": 0}, 270, "ttl"),
        ({"ttl": 1441}, 270, "ttl"),
        ({"callback": "ftp://example.com/status"}, 260, "callback"),
        ({"callback": "not a url"}, 260, "callback"),
    ],
)
async def test_invalid_input(
    client: SmsPilotClient,
    emulator: Emulator,
    kwargs: dict[str, object],
    code: int,
    field: str | None,
) -> None:
    """Each refused parameter raises SmsPilotInvalidInputError naming the field."""
    to = kwargs.pop("to", [PHONE])
    text = kwargs.pop("text", "Hello")
    sender = kwargs.pop("sender", None)
    with pytest.raises(SmsPilotInvalidInputError) as caught:
        await client.send_sms(to, text, sender=sender, options=SendOptions(**kwargs))  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.description
    assert caught.value.description_ru
    assert emulator.messages == {}


async def test_invalid_phone_length_echoes_phone(client: SmsPilotClient) -> None:
    """The 215 error names the offending phone, like the document's example."""
    with pytest.raises(SmsPilotInvalidInputError) as caught:
        await client.check_numbers(["7962048864"], NumberCheckMethod.HLR)
    assert caught.value.details["phone"] == "7962048864"


# Transport faults and retries


async def test_read_retried_once_after_http_500(client: SmsPilotClient, emulator: Emulator) -> None:
    """One 500 on a read is absorbed by the single retry."""
    emulator.set_fault("http_500", count=1)
    assert await client.get_balance() == Decimal("2934.76")
    assert len(emulator.requests) == 2


async def test_read_gives_up_after_two_failures(client: SmsPilotClient, emulator: Emulator) -> None:
    """Two 500s in a row raise SmsPilotConnectionError after exactly two requests."""
    emulator.set_fault("http_500", count=2)
    with pytest.raises(SmsPilotConnectionError, match="HTTP 500"):
        await client.get_user_info()
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("fault", ["http_500", "drop_connection"])
async def test_send_never_retried(client: SmsPilotClient, emulator: Emulator, fault: str) -> None:
    """A send that may have reached the server is not repeated."""
    emulator.set_fault(fault, count=1)
    with pytest.raises(SmsPilotConnectionError):
        await client.send_sms([PHONE], "Hello")
    assert len(emulator.requests) == 1


async def test_cost_not_retried(client: SmsPilotClient, emulator: Emulator) -> None:
    """A cost estimate is a `send=` request and follows the no-retry rule."""
    emulator.set_fault("http_500", count=1)
    with pytest.raises(SmsPilotConnectionError):
        await client.estimate_cost([PHONE], "Hello")
    assert len(emulator.requests) == 1


@pytest.mark.parametrize(
    "read",
    [
        lambda c: c.get_user_info(),
        lambda c: c.get_balance(),
        lambda c: c.get_balance_sms(),
        lambda c: c.get_recent_status(),
        lambda c: c.get_all_status(),
        lambda c: c.get_inbound(new_only=False),
    ],
)
async def test_dropped_connection_on_reads_retried(
    client: SmsPilotClient, emulator: Emulator, read: Callable[[SmsPilotClient], Awaitable[object]]
) -> None:
    """Every read survives one dropped connection."""
    emulator.set_fault("drop_connection", count=1)
    await read(client)
    assert len(emulator.requests) == 2


async def test_new_inbound_not_retried(client: SmsPilotClient, emulator: Emulator) -> None:
    """inbound=new marks messages seen, so a lost answer must not be re-asked."""
    emulator.set_fault("drop_connection", count=1)
    with pytest.raises(SmsPilotConnectionError):
        await client.get_inbound()
    assert len(emulator.requests) == 1


async def test_non_json_answer(client: SmsPilotClient, emulator: Emulator) -> None:
    """An HTML page is an unexpected answer, not retried, without echoing the body."""
    emulator.set_fault("non_json", count=1)
    with pytest.raises(SmsPilotResponseError) as caught:
        await client.get_balance()
    assert "nginx" not in str(caught.value)
    assert len(emulator.requests) == 1


async def test_timeout_on_read_then_success(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    """A read that times out is retried once, and the retry succeeds."""
    client = SmsPilotClient(session, DEMO_API_KEY, api_url=emulator.api_url, request_timeout=0.3)
    emulator.set_fault("latency", count=1, seconds=2.0)
    assert await client.get_balance() == Decimal("2934.76")
    assert len(emulator.requests) == 2


async def test_timeout_on_send(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """A send that times out raises SmsPilotConnectionError at once and is not repeated.

    The slow server still sends it afterwards, which is exactly why sends are never retried.
    """
    client = SmsPilotClient(session, DEMO_API_KEY, api_url=emulator.api_url, request_timeout=0.3)
    emulator.set_fault("latency", count=1, seconds=0.6)
    with pytest.raises(SmsPilotConnectionError, match=r"timed out after 0\.3 s"):
        await client.send_sms([PHONE], "Hello")
    await wait_until(lambda: len(emulator.messages) == 1)
    assert len(emulator.requests) == 1


async def test_latency_within_timeout(client: SmsPilotClient, emulator: Emulator) -> None:
    """A slow answer inside the timeout is fine."""
    emulator.set_fault("latency", count=1, seconds=0.2)
    assert await client.get_balance() == Decimal("2934.76")
    assert len(emulator.requests) == 1


async def test_connection_refused(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    """Nobody listening is a connection error (after the read's one retry)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SmsPilotClient(session, SECRET_KEY, api_url=f"http://127.0.0.1:{port}/api.php")
    with pytest.raises(SmsPilotConnectionError) as caught:
        await client.get_balance()
    assert SECRET_KEY not in str(caught.value)


async def test_faults_cleared(client: SmsPilotClient, emulator: Emulator) -> None:
    """After clear_faults the API behaves again."""
    emulator.set_fault("http_500")
    with pytest.raises(SmsPilotConnectionError):
        await client.get_balance()
    emulator.clear_faults()
    assert await client.get_balance() == Decimal("2934.76")


# Secrecy of the API key


async def test_defaults_and_repr(session: aiohttp.ClientSession) -> None:
    """The default address is SMSPilot's; repr shows it but never the key."""
    client = SmsPilotClient(session, SECRET_KEY)
    assert client.api_url == DEFAULT_API_URL == "https://smspilot.ru/api.php"
    assert SECRET_KEY not in repr(client)
    assert SECRET_KEY not in str(client)
    assert not hasattr(client, "__dict__")
    with pytest.raises(ValueError, match="request_timeout"):
        SmsPilotClient(session, SECRET_KEY, request_timeout=0)


async def test_key_only_in_post_body_and_never_logged(
    emulator: Emulator,
    session: aiohttp.ClientSession,
    traffic: Traffic,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every request is a POST to the bare API URL; the key, texts and phones stay out of logs."""
    emulator.add_account(SECRET_KEY, balance=Decimal("50.00"))
    client = SmsPilotClient(session, SECRET_KEY, api_url=emulator.api_url, request_timeout=0.3)
    caplog.set_level(logging.DEBUG)
    errors: list[SmsPilotError] = []

    result = await client.send_sms([PHONE], SECRET_TEXT, options=SendOptions(callback=receiver.url))
    await client.get_status([m.server_id for m in result.messages], fields="all")
    await client.get_user_info()
    await client.get_balance()
    await client.get_inbound()
    for fault in ("http_500", "non_json", "drop_connection"):
        emulator.set_fault(fault, count=1)
        with pytest.raises(SmsPilotError) as caught:
            await client.send_sms([PHONE], SECRET_TEXT)
        errors.append(caught.value)
    emulator.set_fault("latency", count=1, seconds=0.6)
    stored = len(emulator.messages)
    with pytest.raises(SmsPilotConnectionError) as timeout:
        await client.send_sms([PHONE], SECRET_TEXT)
    errors.append(timeout.value)
    # Let the slow server finish that send before the account is blocked below.
    await wait_until(lambda: len(emulator.messages) > stored)
    with pytest.raises(SmsPilotInvalidInputError) as invalid:
        await client.send_sms(["abc"], SECRET_TEXT)
    errors.append(invalid.value)
    emulator.accounts[SECRET_KEY].blocked = True
    with pytest.raises(SmsPilotAccountBlockedError) as blocked:
        await client.get_balance()
    errors.append(blocked.value)

    assert traffic.requests
    for method, url in traffic.requests:
        assert method == "POST"
        assert url == URL(emulator.api_url)
        assert not url.query_string
    for request in emulator.requests:
        assert request.method == "POST"
        assert request.params["apikey"] == SECRET_KEY
        assert request.params["format"] == "json"
    for error in errors:
        texts = [str(error), repr(error), error.description, error.description_ru]
        texts += [*error.details.values(), str(error.__cause__), repr(error.__cause__)]
        assert not any(SECRET_KEY in text for text in texts)
    client_logs = [r for r in caplog.records if r.name.startswith("custom_components.smspilot")]
    assert client_logs
    assert all(record.levelno == logging.DEBUG for record in client_logs)
    for record in client_logs:
        line = record.getMessage()
        assert SECRET_KEY not in line
        assert SECRET_TEXT not in line
        assert PHONE not in line
    assert SECRET_KEY not in caplog.text


async def test_key_echoed_by_server_is_redacted(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """Even if an answer quoted the key, the raised error would not contain it."""

    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        key = str(form["apikey"])
        return web.json_response(
            {"error": {"code": 101, "description": f"Invalid APIKEY {key}", "apikey": key}}
        )

    app = web.Application()
    app.router.add_post("/api.php", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        client = SmsPilotClient(session, SECRET_KEY, api_url=f"http://127.0.0.1:{port}/api.php")
        with pytest.raises(SmsPilotAuthenticationError) as caught:
            await client.get_balance()
    finally:
        await runner.cleanup()
    error = caught.value
    assert SECRET_KEY not in str(error)
    assert SECRET_KEY not in repr(error)
    assert SECRET_KEY not in str(error.args)
    assert SECRET_KEY not in error.description
    assert SECRET_KEY not in str(dict(error.details))
