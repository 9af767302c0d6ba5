"""Tests of the SMSPilot API-1 emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
import signal
import subprocess
import sys
import time
from typing import Any

from aiohttp import ClientConnectionError, ClientSession, web
from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.smspilot.api.text import count_sms_parts
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID, Emulator, Prices
from smspilot_emulator.__main__ import build_parser, parse_status_delays, serve
from smspilot_emulator.pricing import GSM7_BASIC, GSM7_EXTENSION, count_parts

BLACKLISTED = "79999999999"
UNDELIVERABLE = "79000000000"
MESSAGE_KEYS = {"server_id", "phone", "price", "status"}
ERROR_KEYS = {"code", "description", "description_ru", "ip"}
INBOUND_TEXT = "Ура работает!"  # noqa: RUF001 - the document's Russian example


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[ClientSession]:
    """Give a plain HTTP client session, closed after the test."""
    async with ClientSession() as client:
        yield client


async def api(
    session: ClientSession, emulator: Emulator, *, method: str = "post", **params: str | None
) -> Any:
    """Call /api.php with format=json and the demo key unless given (None drops a parameter)."""
    params.setdefault("apikey", DEMO_API_KEY)
    params.setdefault("format", "json")
    sent = {key: value for key, value in params.items() if value is not None}
    if method == "get":
        request = session.get(emulator.api_url, params=sent)
    else:
        request = session.post(emulator.api_url, data=sent)
    async with request as response:
        assert response.status == 200
        return json.loads(await response.text())


async def api_text(session: ClientSession, emulator: Emulator, **params: str) -> str:
    """Call /api.php without forcing a format; return the body text."""
    params.setdefault("apikey", DEMO_API_KEY)
    async with session.post(emulator.api_url, data=params) as response:
        return await response.text()


async def wait_until(predicate: Callable[[], bool], seconds: float = 3.0) -> None:
    """Poll until the predicate holds, failing the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.01)


@dataclass
class ReceivedCall:
    """One HTTP request a test receiver got."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]


@dataclass
class Receiver:
    """A small HTTP server standing in for a status-callback or inbound-webhook script."""

    url: str
    calls: list[ReceivedCall] = field(default_factory=list)
    status: int = 200

    async def wait_for(self, count: int) -> list[ReceivedCall]:
        """Wait until at least `count` calls arrived."""
        await wait_until(lambda: len(self.calls) >= count)
        return self.calls


@asynccontextmanager
async def serve_receiver(path: str) -> AsyncIterator[Receiver]:
    """Run a receiver on 127.0.0.1 that takes any request; its URL ends with `path`."""
    holder: list[Receiver] = []

    async def handle(request: web.Request) -> web.Response:
        form = await request.post()
        holder[0].calls.append(
            ReceivedCall(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                form={key: str(value) for key, value in form.items()},
            )
        )
        return web.Response(text="OK", status=holder[0].status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    holder.append(Receiver(url=f"http://127.0.0.1:{runner.addresses[0][1]}{path}"))
    try:
        yield holder[0]
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """Run a callback receiver on 127.0.0.1 for one test."""
    async with serve_receiver("/sms-status.php") as running:
        yield running


# --- basics ------------------------------------------------------------------------------------


def test_demo_key_looks_like_a_real_key() -> None:
    assert len(DEMO_API_KEY) == 64
    assert DEMO_API_KEY.isalnum()
    assert DEMO_API_KEY.upper() == DEMO_API_KEY
    assert DEMO_USER_ID == 5671


async def test_urls(emulator: Emulator) -> None:
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.api_url == emulator.base_url + "/api.php"


async def test_user_info_is_the_documents_example(
    session: ClientSession, emulator: Emulator
) -> None:
    expected = {
        "id": "5671",
        "tariff_id": "5",
        "email": "info@example.com",
        "name": " Иванов Сергей Николаевич ",
        "phone": "79087964781",
        "balance": "2934.76",
        "date": "2010-06-03 09:45:41",
        "default_sender": "INFORM",
        "senders": "INFORM,test",
    }
    assert await api(session, emulator) == expected
    # The document's GET form with the key in the query answers the same.
    assert await api(session, emulator, method="get") == expected
    assert [request.method for request in emulator.requests] == ["POST", "GET"]
    assert emulator.requests[0].path == "/api.php"
    assert emulator.requests[0].params == {"apikey": DEMO_API_KEY, "format": "json"}


async def test_balance_in_roubles_and_sms(session: ClientSession, emulator: Emulator) -> None:
    assert await api(session, emulator, balance="rur") == {"balance": "2934.76"}
    # 2934.76 / 1.31 = 2240.27...
    assert await api(session, emulator, balance="sms") == {"balance": "2240"}


async def test_added_account_is_independent(session: ClientSession, emulator: Emulator) -> None:
    account = emulator.add_account(
        api_key="KEY2", user_id=777, balance=Decimal("100.00"), senders=("INFORM", "test")
    )
    info = await api(session, emulator, apikey="KEY2")
    assert info["id"] == "777"
    assert info["balance"] == "100.00"
    assert info["senders"] == "INFORM,test"
    await api(session, emulator, apikey="KEY2", send="Hi", to="79087964781")
    assert account.balance == Decimal("98.69")
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")
    with pytest.raises(ValueError, match="already exists"):
        emulator.add_account(api_key="KEY2")


# --- sending -----------------------------------------------------------------------------------


async def test_send_one_sms(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, send="Hello", to="79087964781", **{"from": "INFORM"})
    assert set(answer) == {"send", "balance", "cost", "server_packet_id"}
    [item] = answer["send"]
    assert set(item) == MESSAGE_KEYS
    assert item["phone"] == "79087964781"
    assert item["price"] == "1.31"
    assert item["status"] == "0"
    assert answer["cost"] == "1.31"
    assert answer["balance"] == "2933.45"
    assert answer["server_packet_id"] == item["server_id"]
    # Every value is a string, as in the document.
    assert all(isinstance(value, str) for value in item.values())
    message = emulator.messages[int(item["server_id"])]
    assert (message.text, message.sender, message.parts) == ("Hello", "INFORM", 1)
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2933.45")


async def test_partial_packet(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(
        session, emulator, send="Hello", to=f"79087964781,4915112345678,{BLACKLISTED}"
    )
    first, second, third = answer["send"]
    assert (first["price"], first["status"]) == ("1.31", "0")
    assert (second["price"], second["status"]) == ("2.21", "0")
    assert third == {
        "server_id": str(int(first["server_id"]) + 2),
        "phone": BLACKLISTED,
        "price": "0.00",
        "status": "-2",
        "error": "212",
        "error_en": "Phone in black list",
        "error_ru": "Телефон в черном списке",
    }
    assert answer["cost"] == "3.52"
    assert answer["server_packet_id"] == first["server_id"]
    assert emulator.messages[int(third["server_id"])].status == -2


async def test_more_errors_than_valid_refuses_the_packet(
    session: ClientSession, emulator: Emulator
) -> None:
    answer = await api(session, emulator, send="Hello", to=f"7908abc,{BLACKLISTED},79087964781")
    assert answer["error"]["code"] == "111"
    assert answer["error"]["description"] == "Invalid phone"
    assert emulator.messages == {}
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")


async def test_voice_answer_carries_totals_in_the_send_array(
    session: ClientSession, emulator: Emulator
) -> None:
    answer = await api(
        session,
        emulator,
        send="Hello",
        to=f"79087964781,79835271808,{BLACKLISTED}",
        **{"from": "GOLOS"},
    )
    assert set(answer) == {"send"}
    *items, totals = answer["send"]
    assert [item["price"] for item in items] == ["0.50", "0.50", "0.00"]
    assert totals == {
        "balance": "2933.76",
        "cost": "1.00",
        "server_packet_id": items[0]["server_id"],
    }
    assert emulator.messages[int(items[0]["server_id"])].kind == "voice"


@pytest.mark.parametrize(
    ("send", "sender", "price", "kind"),
    [
        ("1234", "FLASHCALL", "0.80", "flashcall"),
        ("проверка", "2WAY", "3.13", "2way"),
        ("Hello", "GOLOSM", "0.50", "voice"),
        ("HLR", None, "0.15", "hlr"),
        ("PING", None, "0.15", "ping"),
        ("HLRVIP", None, "0.15", "hlrvip"),
    ],
)
async def test_other_kinds_are_priced_and_stored(
    session: ClientSession,
    emulator: Emulator,
    send: str,
    sender: str | None,
    price: str,
    kind: str,
) -> None:
    extra = {"from": sender} if sender is not None else {}
    answer = await api(session, emulator, send=send, to="79087964781", **extra)
    item = answer["send"][0]
    assert item["price"] == price
    assert emulator.messages[int(item["server_id"])].kind == kind


@pytest.mark.parametrize(
    ("text", "phone", "cost"),
    [
        ("a" * 160, "79087964781", "1.31"),
        ("a" * 161, "79087964781", "2.62"),
        ("a" * 307, "79087964781", "3.93"),
        ("я" * 70, "79087964781", "1.31"),
        ("я" * 71, "79087964781", "2.62"),
        ("{" * 80, "79087964781", "1.31"),
        ("{" * 81, "79087964781", "2.62"),
        ("a" * 10, "4915112345678", "2.21"),
        # An emoji is two UTF-16 code units: 35 fill one SMS, 40 (80 units) need two parts.
        ("😀" * 35, "79087964781", "1.31"),
        ("😀" * 36, "79087964781", "2.62"),
        ("😀" * 40, "79087964781", "2.62"),
        ("😀" * 67, "79087964781", "3.93"),
        # A character is never split: an escape or surrogate pair that does not fit whole
        # starts the next part, so 306 septets or 134 units need three parts, not two.
        ("a" * 152 + "{" + "a" * 152, "79087964781", "3.93"),
        ("я" * 66 + "😀" + "я" * 66, "79087964781", "3.93"),
    ],
)
async def test_cost_counts_parts(
    session: ClientSession, emulator: Emulator, text: str, phone: str, cost: str
) -> None:
    assert await api(session, emulator, send=text, to=phone, cost="1") == {"cost": cost}
    assert emulator.messages == {}
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")


CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
EMOJI = "😀👍🎉🚀❤️🇷🇺👨‍👩‍👧"
SMS_CHARACTERS = st.one_of(
    st.sampled_from(sorted(GSM7_BASIC)),
    st.sampled_from(sorted(GSM7_EXTENSION)),
    st.sampled_from(CYRILLIC),
    st.sampled_from(EMOJI),
    st.characters(codec="utf-8"),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        # Pure GSM-7 (extension characters included), and texts mixing everything.
        st.text(st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), max_size=500),
        st.text(SMS_CHARACTERS, max_size=400),
    )
)
@example("😀" * 40)
@example("a" * 152 + "{" + "a" * 152)
@example("я" * 66 + "😀" + "я" * 66)
@example("")
def test_parts_agree_with_the_integration(text: str) -> None:
    """The emulator bills the parts the integration counts, for any text."""
    assert count_parts(text) == count_sms_parts(text).parts


async def test_prices_can_be_changed(session: ClientSession, emulator: Emulator) -> None:
    emulator.prices = Prices(sms=Decimal("2.00"))
    assert await api(session, emulator, send="Hi", to="79087964781", cost="1") == {"cost": "2.00"}


async def test_test_mode_answers_without_storing(
    session: ClientSession, emulator: Emulator
) -> None:
    answer = await api(session, emulator, send="test", to="79087964781", test="1")
    assert answer["send"][0]["status"] == "0"
    assert answer["cost"] == "1.31"
    assert answer["balance"] == "2934.76"
    assert emulator.messages == {}
    check = await api(session, emulator, check="1000", test="1")
    assert check == {
        "check": [{"server_id": "1000", "phone": "79087964781", "price": "1.31", "status": "2"}]
    }
    # Without test=1 id 1000 is just unknown.
    assert (await api(session, emulator, check="1000"))["error"]["code"] == 303


async def test_fields_on_send(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, send="Hello", to="79087964781", fields="sender,parts")
    item = answer["send"][0]
    assert set(item) == MESSAGE_KEYS | {"sender", "parts"}
    assert (item["sender"], item["parts"]) == ("INFORM", "1")


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"apikey": ""}, 100),
        ({"apikey": "NO-SUCH-KEY"}, 101),
        ({"send": "Hi", "to": "7908796478x"}, "111"),
        ({"send": "Hi", "to": "+79087964781"}, "111"),
        ({"send": "Hi", "to": "7908796478"}, 215),
        ({"send": "Hi", "to": "790879647812"}, 215),
        ({"send": "Hi", "to": "123456789"}, 215),
        ({"send": "Hi", "to": "1234567890123456"}, 215),
        ({"send": "Hi", "to": BLACKLISTED}, "212"),
        ({"send": "Hi", "to": "79087964781", "from": "ИНФОРМ"}, 115),
        ({"send": "Hi", "to": "79087964781", "from": "TOOLONGSENDER"}, 115),
        ({"send": "Hi", "to": "79087964781", "from": "OTHER"}, 116),
        ({"send": "Hi", "to": "79087964781", "from": "GOL0S"}, 116),
        ({"send": "Hi"}, 10),
        ({"send": "", "to": "79087964781"}, 10),
        ({"send": "Hi", "to": " , "}, 10),
        ({"send": "123", "to": "79087964781", "from": "FLASHCALL"}, 10),
        ({"send": "12345", "to": "79087964781", "from": "FLASHCALL"}, 10),
        ({"send": "Купите! РЕКЛАМА", "to": "79087964781"}, 223),
        ({"send": "advertisement", "to": "79087964781"}, 223),
        ({"send": "Hi", "to": "79087964781", "send_datetime": "2001-01-01 00:00:00"}, 250),
        ({"send": "Hi", "to": "79087964781", "send_datetime": "tomorrow"}, 250),
        ({"send": "Hi", "to": "79087964781", "send_datetime": "978307200"}, 250),
        ({"send": "Hi", "to": "79087964781", "ttl": "0"}, 270),
        ({"send": "Hi", "to": "79087964781", "ttl": "1441"}, 270),
        ({"send": "Hi", "to": "79087964781", "ttl": "ten"}, 270),
        ({"send": "Hi", "to": "79087964781", "callback": "ftp://example.com/x"}, 260),
        ({"send": "Hi", "to": "79087964781", "callback": "not a url"}, 260),
        ({"check": "12,abc"}, 303),
        ({"check": "999"}, 303),
        ({"check": ""}, 303),
        ({"check": "packet", "id": "999"}, 303),
        ({"check": "packet"}, 303),
        ({"inbound": "yesterday"}, 500),
    ],
)
async def test_documented_errors(
    session: ClientSession, emulator: Emulator, params: dict[str, str], code: int | str
) -> None:
    answer = await api(session, emulator, **params)
    assert set(answer) == {"error"}
    error = answer["error"]
    assert error["code"] == code  # type and value, as the document prints it
    assert set(error) >= ERROR_KEYS
    assert error["ip"] == "127.0.0.1"
    assert error["description"]
    assert error["description_ru"]
    assert emulator.messages == {}
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")


async def test_error_texts(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, apikey="NO-SUCH-KEY")
    assert answer["error"]["description"] == "Invalid APIKEY"
    assert answer["error"]["description_ru"] == "Неправильный API-ключ"
    answer = await api(session, emulator, apikey="")
    assert answer["error"]["description"] == "APIKEY is required"
    answer = await api(session, emulator, send="Hi", to="7962048864")
    assert answer == {
        "error": {
            "code": 215,
            "description": "Invalid phone length",
            "description_ru": "Неправильная длина номера телефона",
            "phone": "7962048864",
            "ip": "127.0.0.1",
        }
    }
    answer = await api(session, emulator, check="x")
    assert answer["error"]["description"] == "Invalid IDs list"


async def test_blocked_user(session: ClientSession, emulator: Emulator) -> None:
    emulator.accounts[DEMO_API_KEY].blocked = True
    for params in ({}, {"balance": "rur"}, {"send": "Hi", "to": "79087964781"}):
        answer = await api(session, emulator, **params)
        assert answer == {
            "error": {
                "code": 106,
                "description": "User is blocked",
                "description_ru": "Пользователь заблокирован за спам/ошибки",
                "status": -5,
                "status_ru": "Проблемы с эл. почтой",  # noqa: RUF001
                "ip": "127.0.0.1",
            }
        }


async def test_not_enough_money_refuses_the_whole_packet(
    session: ClientSession, emulator: Emulator
) -> None:
    emulator.add_account(api_key="POOR", balance=Decimal("2.00"))
    answer = await api(session, emulator, apikey="POOR", send="Hi", to="79087964781,79087964782")
    assert answer["error"]["code"] == 241
    assert answer["error"]["description"] == "You don't have enough money"
    assert emulator.accounts["POOR"].balance == Decimal("2.00")
    assert emulator.messages == {}
    # Exactly enough is enough.
    answer = await api(session, emulator, apikey="POOR", send="Hi", to="79087964781")
    assert answer["balance"] == "0.69"


async def test_sender_rules(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, send="Hi", to="79087964781", **{"from": "test"})
    assert emulator.messages[int(answer["send"][0]["server_id"])].sender == "test"
    answer = await api(session, emulator, send="Hi", to="79087964781")
    assert emulator.messages[int(answer["send"][0]["server_id"])].sender == "INFORM"


# --- statuses and callbacks --------------------------------------------------------------------


async def test_status_progression(session: ClientSession, emulator: Emulator) -> None:
    # A wide window at status 1, so a busy machine still sees it.
    emulator.status_delays = (0.1, 0.6)
    answer = await api(session, emulator, send="Hello", to=f"79087964781,{UNDELIVERABLE}")
    good, bad = (int(item["server_id"]) for item in answer["send"])
    ids = f"{good},{bad}"
    check = await api(session, emulator, check=ids)
    assert [item["status"] for item in check["check"]] == ["0", "0"]
    await wait_until(lambda: emulator.messages[good].status == 1)
    check = await api(session, emulator, check=ids)
    assert [item["status"] for item in check["check"]] == ["1", "1"]
    await wait_until(lambda: emulator.messages[good].status == 2)
    check = await api(session, emulator, check=ids)
    assert check["check"][0] == {
        "server_id": str(good),
        "phone": "79087964781",
        "price": "1.31",
        "status": "2",
    }
    assert check["check"][1] == {
        "server_id": str(bad),
        "phone": UNDELIVERABLE,
        "price": "1.31",
        "status": "-1",
        "error": "604",
        "error_en": "Undeliverable",
        "error_ru": "Невозможно доставить",
    }
    assert emulator.pending_packets == 0


async def test_number_checks_end_like_messages(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, send="HLR", to=f"79087964781,{UNDELIVERABLE}")
    assert await emulator.complete_all() == 2
    ids = ",".join(item["server_id"] for item in answer["send"])
    check = await api(session, emulator, check=ids)
    assert [item["status"] for item in check["check"]] == ["2", "-1"]


async def test_hlrvip_fields(session: ClientSession, emulator: Emulator) -> None:
    answer = await api(session, emulator, send="HLRVIP", to="79161231212")
    server_id = answer["send"][0]["server_id"]
    await emulator.complete_all()
    [item] = (await api(session, emulator, check=server_id, fields="all"))["check"]
    assert item["status"] == "2"
    for name in ("imsi", "mcc", "mnc", "cn", "net", "gcn", "gnet"):
        assert item[name], name
    assert len(item["imsi"]) == 15
    assert item["imsi"].isdecimal()
    assert item["imsi"].startswith(item["mcc"] + item["mnc"])
    assert (item["mcc"], item["cn"]) == ("250", "Russia")
    # Plain SMS have no HLR data.
    answer = await api(session, emulator, send="Hi", to="79161231212")
    [item] = (await api(session, emulator, check=answer["send"][0]["server_id"], fields="all"))[
        "check"
    ]
    assert "imsi" not in item
    assert {"sender", "created", "modified", "parts", "country", "operator", "message"} <= set(item)


async def test_check_recent_packet_all_and_fields(
    session: ClientSession, emulator: Emulator
) -> None:
    first = await api(session, emulator, send="One", to="79087964781,79087964782")
    second = await api(session, emulator, send="Two", to="79087964783")
    other = emulator.add_account(api_key="OTHER")
    await api(session, emulator, apikey=other.api_key, send="Other", to="79087964784")
    all_ids = [item["server_id"] for item in first["send"] + second["send"]]

    for value in ("recent", "all"):
        check = await api(session, emulator, check=value)
        assert [item["server_id"] for item in check["check"]] == all_ids

    packet = await api(session, emulator, check="packet", id=first["server_packet_id"])
    assert [item["server_id"] for item in packet["check"]] == all_ids[:2]

    # Another account's ids are unknown here; known ids are still answered.
    other_id = other.message_ids[0]
    check = await api(session, emulator, check=f"{all_ids[2]},{other_id}", fields="sender,created")
    [item] = check["check"]
    assert set(item) == MESSAGE_KEYS | {"sender", "created"}
    assert datetime.strptime(item["created"], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
    assert (await api(session, emulator, check=str(other_id)))["error"]["code"] == 303


async def test_recent_skips_messages_older_than_a_day(socket_enabled: None) -> None:
    now = [datetime(2030, 1, 1, 12, 0, tzinfo=UTC)]
    emulator = Emulator(status_delays=(0.2, 0.4), clock=lambda: now[0])
    await emulator.start()
    try:
        async with ClientSession() as session:
            old = await api(session, emulator, send="Old", to="79087964781")
            now[0] += timedelta(hours=25)
            new = await api(session, emulator, send="New", to="79087964781")
            recent = await api(session, emulator, check="recent")
            assert [item["server_id"] for item in recent["check"]] == [new["server_packet_id"]]
            everything = await api(session, emulator, check="all")
            assert len(everything["check"]) == 2
            assert old["server_packet_id"] != new["server_packet_id"]
    finally:
        await emulator.close()


async def test_callbacks_by_get(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    answer = await api(
        session, emulator, send="Hello", to="79087964781", callback=receiver.url + "?fields=message"
    )
    server_id = answer["send"][0]["server_id"]
    calls = await receiver.wait_for(2)
    assert [call.method for call in calls] == ["GET", "GET"]
    assert calls[0].path == "/sms-status.php"
    assert calls[0].query == {
        "fields": "message",
        "server_id": server_id,
        "phone": "79087964781",
        "status": "1",
        "error": "0",
        "message": "Hello",
    }
    assert calls[1].query["status"] == "2"
    assert calls[1].query["error"] == "0"


async def test_callbacks_by_post_with_error(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    await api(
        session,
        emulator,
        send="Hello",
        to=UNDELIVERABLE,
        callback=receiver.url,
        callback_method="post",
    )
    calls = await receiver.wait_for(2)
    assert [call.method for call in calls] == ["POST", "POST"]
    assert calls[0].query == {}
    assert calls[0].form["status"] == "1"
    assert calls[1].form == {
        "server_id": calls[0].form["server_id"],
        "phone": UNDELIVERABLE,
        "status": "-1",
        "error": "604",
        "error_en": "Undeliverable",
        "error_ru": "Невозможно доставить",
    }


async def test_complete_all_finishes_now_and_awaits_callbacks(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    emulator.status_delays = (30.0, 60.0)
    answer = await api(
        session, emulator, send="Hi", to="79087964781,79087964782", callback=receiver.url
    )
    assert emulator.pending_packets == 1
    assert await emulator.complete_all() == 2
    # Callbacks were delivered before complete_all returned.
    assert sorted(call.query["server_id"] for call in receiver.calls) == sorted(
        item["server_id"] for item in answer["send"]
    )
    assert {call.query["status"] for call in receiver.calls} == {"2"}
    assert emulator.pending_packets == 0
    assert await emulator.complete_all() == 0


async def test_failing_callback_receiver_is_ignored(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    receiver.status = 500
    await api(session, emulator, send="Hi", to="79087964781", callback=receiver.url)
    await emulator.complete_all()
    assert len(receiver.calls) == 1
    assert emulator.courier.failed == 1
    unreachable = "http://127.0.0.1:9/nowhere"
    await api(session, emulator, send="Hi", to="79087964781", callback=unreachable)
    await emulator.complete_all()
    assert emulator.courier.failed == 2


async def test_scheduled_send(socket_enabled: None, receiver: Receiver) -> None:
    send_at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    now = [send_at - timedelta(seconds=0.3)]
    emulator = Emulator(status_delays=(0.2, 0.4), clock=lambda: now[0])
    await emulator.start()
    try:
        async with ClientSession() as session:
            answer = await api(
                session,
                emulator,
                send="Later",
                to="79087964781",
                send_datetime="2030-01-01 12:00:00",
                ttl="60",
                callback=receiver.url,
            )
            item = answer["send"][0]
            assert item["status"] == "3"
            message = emulator.messages[int(item["server_id"])]
            assert (message.send_at, message.ttl) == (send_at, 60)
            calls = await receiver.wait_for(3)
            assert [call.query["status"] for call in calls] == ["0", "1", "2"]
            # A unix time works too; the past (beyond a minute of grace) does not.
            unix = str(int((send_at + timedelta(hours=1)).timestamp()))
            answer = await api(session, emulator, send="Unix", to="79087964781", send_datetime=unix)
            assert answer["send"][0]["status"] == "3"
            now[0] = send_at + timedelta(hours=2)
            answer = await api(
                session, emulator, send="Past", to="79087964781", send_datetime="2030-01-01 12:00"
            )
            assert answer["error"]["code"] == 250
    finally:
        await emulator.close()


async def test_close_cancels_timers_and_is_idempotent(socket_enabled: None) -> None:
    emulator = Emulator(status_delays=(30.0, 60.0))
    await emulator.start()
    async with ClientSession() as session:
        answer = await api(session, emulator, send="Hi", to="79087964781")
    assert emulator.pending_packets == 1
    await emulator.close()
    await emulator.close()
    assert emulator.pending_packets == 0
    assert emulator.messages[int(answer["server_packet_id"])].status == 0
    with pytest.raises(RuntimeError):
        _ = emulator.api_url


async def test_many_messages(session: ClientSession, emulator: Emulator) -> None:
    emulator.status_delays = (30.0, 60.0)
    rich = emulator.add_account(api_key="RICH", balance=Decimal("20000.00"))
    phones = [f"7908{index:07d}" for index in range(10_000)]
    started = time.monotonic()
    answer = await api(session, emulator, apikey="RICH", send="Hi", to=",".join(phones))
    assert len(answer["send"]) == 10_000
    assert answer["cost"] == "13100.00"
    assert rich.balance == Decimal("6900.00")
    check = await api(session, emulator, apikey="RICH", check="all")
    assert len(check["check"]) == 10_000
    assert await emulator.complete_all() == 10_000
    assert time.monotonic() - started < 10


# --- inbound -----------------------------------------------------------------------------------


async def test_inbound_webhook_and_mailbox(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    emulator.accounts[DEMO_API_KEY].inbound_webhook_url = receiver.url
    record = await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "restart server alfa")
    # Delivered by the time inject_inbound returns.
    [call] = receiver.calls
    assert call.method == "POST"
    assert call.form == {
        "phone": "79087964781",
        "message": "restart server alfa",
        "user_id": "5671",
        "id": str(record.id),
        "num": "79533984570",
    }
    assert record.webhook_delivered is True
    assert record.seen is False

    second = await emulator.inject_inbound(DEMO_API_KEY, "79087964782", INBOUND_TEXT, num="7900")
    new = await api(session, emulator, inbound="new")
    assert [item["id"] for item in new["inbound"]] == [str(record.id), str(second.id)]
    item = new["inbound"][1]
    assert set(item) == {"id", "phone", "num", "text", "created", "seen"}
    assert (item["phone"], item["num"], item["text"], item["seen"]) == (
        "79087964782",
        "7900",
        INBOUND_TEXT,
        "0",
    )
    assert datetime.strptime(item["created"], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
    # Fetching "new" marked them seen.
    assert await api(session, emulator, inbound="new") == {"inbound": []}
    every = await api(session, emulator, inbound="all")
    assert [item["seen"] for item in every["inbound"]] == ["1", "1"]


async def test_inbound_since(socket_enabled: None) -> None:
    now = [datetime(2030, 1, 1, 12, 0, tzinfo=UTC)]
    emulator = Emulator(status_delays=(0.2, 0.4), clock=lambda: now[0])
    await emulator.start()
    try:
        await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "early")
        now[0] += timedelta(hours=1)
        late = await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "late")
        async with ClientSession() as session:
            for since in ("2030-01-01 12:30:00", str(int(now[0].timestamp()) - 60)):
                answer = await api(session, emulator, inbound=since)
                assert [item["id"] for item in answer["inbound"]] == [str(late.id)], since
            answer = await api(session, emulator, inbound="2030-01-01 11:00:00")
            assert len(answer["inbound"]) == 2
            assert answer["inbound"][1]["created"] == "2030-01-01 13:00:00"
    finally:
        await emulator.close()


async def test_inbound_without_webhook_and_unknown_account(emulator: Emulator) -> None:
    record = await emulator.inject_inbound(DEMO_API_KEY, "79087964781", "hi")
    assert record.webhook_delivered is None
    assert emulator.accounts[DEMO_API_KEY].mailbox == [record]
    with pytest.raises(KeyError):
        await emulator.inject_inbound("NO-SUCH-KEY", "79087964781", "hi")


# --- faults ------------------------------------------------------------------------------------


async def test_fault_http_500_for_a_count(session: ClientSession, emulator: Emulator) -> None:
    emulator.set_fault("http_500", count=2)
    for _ in range(2):
        async with session.post(emulator.api_url, data={"apikey": DEMO_API_KEY}) as response:
            assert response.status == 500
    assert emulator.faults == []
    assert (await api(session, emulator, balance="rur")) == {"balance": "2934.76"}
    # Faulty requests are still recorded.
    assert len(emulator.requests) == 3


async def test_fault_non_json_until_cleared(session: ClientSession, emulator: Emulator) -> None:
    emulator.set_fault("non_json")
    for _ in range(3):
        async with session.post(
            emulator.api_url, data={"apikey": DEMO_API_KEY, "format": "json"}
        ) as response:
            assert response.status == 200
            with pytest.raises(json.JSONDecodeError):
                json.loads(await response.text())
    emulator.clear_faults()
    assert (await api(session, emulator))["id"] == "5671"


async def test_fault_drop_connection(session: ClientSession, emulator: Emulator) -> None:
    emulator.set_fault("drop_connection", count=1)
    with pytest.raises(ClientConnectionError):
        async with session.post(emulator.api_url, data={"apikey": DEMO_API_KEY}) as response:
            await response.read()
    # A dropped send is not processed.
    assert (await api(session, emulator))["id"] == "5671"


async def test_fault_latency(session: ClientSession, emulator: Emulator) -> None:
    emulator.set_fault("latency", count=1, seconds=0.3)
    started = time.monotonic()
    await api(session, emulator)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await api(session, emulator)
    assert time.monotonic() - started < 0.3


def test_fault_arguments_are_checked() -> None:
    emulator = Emulator()
    with pytest.raises(ValueError):  # noqa: PT011
        emulator.set_fault("explode")
    with pytest.raises(ValueError, match="count"):
        emulator.set_fault("http_500", count=0)
    fault = emulator.set_fault("latency")
    assert fault.seconds > 0
    assert (fault.kind, fault.remaining) == ("latency", None)


# --- control endpoints -------------------------------------------------------------------------


async def test_control_endpoints(
    session: ClientSession, emulator: Emulator, receiver: Receiver
) -> None:
    base = emulator.base_url + "/emulator"
    async with session.post(
        f"{base}/accounts/{DEMO_API_KEY}/webhook", data={"url": receiver.url}
    ) as response:
        assert response.status == 200
    assert emulator.accounts[DEMO_API_KEY].inbound_webhook_url == receiver.url

    async with session.post(
        f"{base}/inbound", data={"api_key": DEMO_API_KEY, "phone": "79087964781", "message": "hi"}
    ) as response:
        body = await response.json()
    assert body["inbound"]["text"] == "hi"
    assert body["webhook_delivered"] is True
    assert receiver.calls[0].form["message"] == "hi"

    async with session.post(f"{base}/faults", data={"kind": "http_500", "count": "1"}) as response:
        assert (await response.json())["remaining"] == 1
    async with session.get(f"{base}/state") as response:
        text = await response.text()
    state = json.loads(text)
    assert DEMO_API_KEY not in text
    assert state["faults"] == [{"kind": "http_500", "remaining": 1, "seconds": 0.0}]
    assert state["accounts"][0]["inbound"] == 1
    async with session.delete(f"{base}/faults") as response:
        assert response.status == 200
    assert emulator.faults == []

    emulator.status_delays = (30.0, 60.0)
    await api(session, emulator, send="Hi", to="79087964781")
    async with session.post(f"{base}/complete") as response:
        assert await response.json() == {"completed": 1}
    async with session.get(f"{base}/state") as response:
        state = await response.json()
    assert state["messages"] == {"total": 1, "by_status": {"2": 1}}

    # Only the one API call above was recorded.
    assert [request.params.get("send") for request in emulator.requests] == ["Hi"]


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("post", "/emulator/inbound", {"api_key": "NOPE", "phone": "1", "message": "x"}, 404),
        ("post", "/emulator/inbound", {"api_key": DEMO_API_KEY}, 400),
        ("post", "/emulator/faults", {"kind": "explode"}, 400),
        ("post", "/emulator/faults", {"kind": "latency", "count": "x"}, 400),
        ("post", "/emulator/accounts/NOPE/webhook", {"url": "http://x"}, 404),
    ],
)
async def test_control_endpoint_errors(
    session: ClientSession,
    emulator: Emulator,
    method: str,
    path: str,
    data: dict[str, str],
    status: int,
) -> None:
    async with session.request(method, emulator.base_url + path, data=data) as response:
        assert response.status == status
    assert emulator.faults == []


# --- other formats -----------------------------------------------------------------------------


async def test_text_and_v_formats(session: ClientSession, emulator: Emulator) -> None:
    text = await api_text(session, emulator, send="Hello", to="79087964781,79087964782")
    header, *rows = text.split("\n")
    assert header == "SUCCESS=SMS SENT 2.62/2932.14"
    assert rows[0].endswith(",79087964781,1.31,0")
    assert await api_text(session, emulator, send="Hi", to="7908abc") == "ERROR=111: INVALID PHONE"
    assert await api_text(session, emulator, send="Hi", to="7908abc", format="v", lang="ru") == (
        "Неправильный номер телефона"
    )
    packet = await api_text(session, emulator, send="Hi", to="79087964781", format="v")
    assert int(packet) in emulator.messages
    assert await api_text(session, emulator, balance="rur", format="v") == "2930.83"
    info = await api_text(session, emulator, format="text")
    assert info.startswith("SUCCESS=APIKEY INFO\nid=5671\n")


# --- command line ------------------------------------------------------------------------------


def test_cli_prints_the_demo_key() -> None:
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "smspilot_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url_line = process.stdout.readline()
        key_line = process.stdout.readline()
        assert url_line.startswith("SMSPilot emulator API URL: http://127.0.0.1:")
        assert url_line.rstrip().endswith("/api.php")
        assert key_line.rstrip() == f"Demo API key: {DEMO_API_KEY}"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


async def test_cli_serve_applies_options(
    socket_enabled: None, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        ["--port", "0", "--inbound-webhook", receiver.url, "--status-delays", "0.1,0.2"]
    )
    assert args.status_delays == (0.1, 0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop))
    printed: list[str] = []

    def started() -> bool:
        printed.append(capsys.readouterr().out)
        return "Demo API key" in "".join(printed) or task.done()

    try:
        await wait_until(started)
        output = "".join(printed)
        assert f"Demo API key: {DEMO_API_KEY}" in output
        api_url = output.split("API URL: ")[1].split()[0]
        state_url = api_url.replace("/api.php", "/emulator/state")
        async with ClientSession() as session, session.get(state_url) as response:
            state = await response.json()
    finally:
        stop.set()
        await task
    assert state["status_delays"] == [0.1, 0.2]
    assert state["accounts"][0]["inbound_webhook_url"] == receiver.url
    with pytest.raises(argparse.ArgumentTypeError):
        parse_status_delays("5,2")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_status_delays("five")
