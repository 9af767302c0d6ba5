"""Tests of the emulator's 2WAY SMS (section 7) and the shared number's prefixes (section 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from aiohttp import ClientSession
import pytest

from smspilot_emulator import (
    DEFAULT_INBOUND_NUMBER,
    DEMO_API_KEY,
    SHARED_NUMBER,
    Emulator,
    InboundNotRoutedError,
    RouteReason,
)
from smspilot_emulator.inbound import strip_prefix
from tests.test_emulator import Receiver, api, api_text, serve_receiver

PHONE = "79087964781"
OTHER_PHONE = "79161231212"
BLACKLISTED = "79999999999"
UNDELIVERABLE = "79000000000"
SURVEY_ERROR = {
    "code": 227,
    "description": "Spam protection (SURVEY)",
    "description_ru": "Защита от спама (для опросов/голосований нужен спец. шаблон)",
    "phone": PHONE,
    "ip": "127.0.0.1",
}
TWO_WAY = {"from": "2WAY"}


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[ClientSession]:
    """Give a plain HTTP client session, closed after the test."""
    async with ClientSession() as client:
        yield client


@pytest.fixture
async def webhook(socket_enabled: None) -> AsyncIterator[Receiver]:
    """Run an inbound-SMS script on 127.0.0.1 for one test."""
    async with serve_receiver("/sms-inbound.php") as running:
        yield running


async def send_two_way(
    session: ClientSession, emulator: Emulator, to: str = PHONE, **params: str
) -> Any:
    """Send the document's 2WAY example text; return the answer."""
    return await api(session, emulator, send="проверка", to=to, **TWO_WAY, **params)


async def control(
    session: ClientSession, emulator: Emulator, path: str, data: dict[str, str]
) -> tuple[int, Any]:
    """POST to a control endpoint; return the HTTP status and the JSON body."""
    async with session.post(emulator.base_url + "/emulator" + path, data=data) as response:
        return response.status, await response.json()


# --- sending -----------------------------------------------------------------------------------


async def test_two_way_sms_comes_from_the_shared_number(
    session: ClientSession, emulator: Emulator
) -> None:
    answer = await send_two_way(session, emulator, fields="sender,sender_orig,parts")
    # The document's answer, as for any SMS, with the fields asked for.
    [item] = answer["send"]
    assert (item["price"], item["status"], item["parts"]) == ("3.13", "0", "1")
    assert (answer["cost"], answer["balance"]) == ("3.13", "2931.63")
    assert (item["sender"], item["sender_orig"]) == (SHARED_NUMBER, "2WAY")
    message = emulator.messages[int(item["server_id"])]
    assert (message.kind, message.service_number, message.sender) == (
        "2way",
        SHARED_NUMBER,
        SHARED_NUMBER,
    )
    # Ordinary SMS keep their sender and have no sender_orig or service number.
    answer = await api(session, emulator, send="Hi", to=PHONE, fields="all")
    assert "sender_orig" not in answer["send"][0]
    assert emulator.messages[int(answer["server_packet_id"])].service_number is None
    assert emulator.shared_number == SHARED_NUMBER != DEFAULT_INBOUND_NUMBER


async def test_free_text_without_a_survey_template_is_error_227(
    session: ClientSession, emulator: Emulator
) -> None:
    account = emulator.accounts[DEMO_API_KEY]
    account.survey_template = False
    assert await send_two_way(session, emulator) == {"error": SURVEY_ERROR}
    # The first phone that could be sent to is named; the estimate is refused too.
    answer = await send_two_way(session, emulator, to=f"{BLACKLISTED},{PHONE},{OTHER_PHONE}")
    assert answer == {"error": SURVEY_ERROR}
    assert (await send_two_way(session, emulator, cost="1"))["error"]["code"] == 227
    assert await api_text(session, emulator, send="проверка", to=PHONE, **TWO_WAY) == (
        "ERROR=227: SPAM PROTECTION (SURVEY)"
    )
    assert await api_text(session, emulator, send="x", to=PHONE, format="v", **TWO_WAY) == (
        "Spam protection (SURVEY)"
    )
    assert emulator.messages == {}
    assert account.balance == Decimal("2934.76")
    # Other senders are not affected; with a template 2WAY works again.
    assert (await api(session, emulator, send="Hi", to=PHONE))["send"][0]["status"] == "0"
    account.survey_template = True
    assert (await send_two_way(session, emulator))["send"][0]["status"] == "0"


async def test_added_accounts_choose_a_template_and_a_prefix(
    session: ClientSession, emulator: Emulator
) -> None:
    plain = emulator.add_account("PLAIN", user_id=777, survey_template=False)
    named = emulator.add_account("NAMED", prefix="alfa")
    assert (plain.prefix, plain.survey_template) == ("777", False)
    assert (named.prefix, named.survey_template) == ("alfa", True)
    assert emulator.accounts[DEMO_API_KEY].prefix == "5671"
    assert (await send_two_way(session, emulator, apikey="PLAIN"))["error"]["code"] == 227
    assert (await send_two_way(session, emulator, apikey="NAMED"))["send"][0]["status"] == "0"


# --- answers -----------------------------------------------------------------------------------


async def test_answer_to_a_two_way_sms_is_an_inbound_sms(
    session: ClientSession, emulator: Emulator, webhook: Receiver
) -> None:
    emulator.accounts[DEMO_API_KEY].inbound_webhook_url = webhook.url
    server_id = int((await send_two_way(session, emulator))["server_packet_id"])
    # The answer needs no prefix and arrives unchanged, even one that looks like a prefix.
    record = await emulator.reply(server_id, "Да")
    second = await emulator.reply(server_id, "5671 нет")
    assert [call.form for call in webhook.calls] == [
        {
            "phone": PHONE,
            "message": "Да",
            "user_id": "5671",
            "id": str(record.id),
            "num": SHARED_NUMBER,
        },
        {
            "phone": PHONE,
            "message": "5671 нет",
            "user_id": "5671",
            "id": str(second.id),
            "num": SHARED_NUMBER,
        },
    ]
    assert (record.webhook_delivered, record.seen) == (True, False)
    assert emulator.accounts[DEMO_API_KEY].mailbox == [record, second]
    new = await api(session, emulator, inbound="new")
    assert [(item["phone"], item["num"], item["text"]) for item in new["inbound"]] == [
        (PHONE, SHARED_NUMBER, "Да"),
        (PHONE, SHARED_NUMBER, "5671 нет"),
    ]
    # Writing to the shared number from that phone is the same as answering.
    third = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "ещё", num=SHARED_NUMBER)
    assert (third.text, third.num) == ("ещё", SHARED_NUMBER)


async def test_answer_before_delivery_and_after(session: ClientSession, emulator: Emulator) -> None:
    emulator.status_delays = (30.0, 60.0)
    server_id = int((await send_two_way(session, emulator))["server_packet_id"])
    assert emulator.messages[server_id].status == 0
    assert (await emulator.reply(server_id, "1")).text == "1"
    await emulator.complete_all()
    assert emulator.messages[server_id].status == 2
    assert (await emulator.reply(server_id, "2")).text == "2"


async def test_only_a_two_way_sms_the_subscriber_gets_can_be_answered(
    session: ClientSession, emulator: Emulator
) -> None:
    with pytest.raises(KeyError):
        await emulator.reply(1, "x")
    plain = int((await api(session, emulator, send="Hi", to=PHONE))["server_packet_id"])
    with pytest.raises(ValueError, match="Only a 2WAY"):
        await emulator.reply(plain, "x")
    answer = await send_two_way(session, emulator, to=f"{PHONE},{BLACKLISTED},{UNDELIVERABLE}")
    _, refused, lost = (int(item["server_id"]) for item in answer["send"])
    assert emulator.messages[refused].status == -2
    scheduled = int(
        (await send_two_way(session, emulator, send_datetime="2099-01-01 00:00:00"))[
            "server_packet_id"
        ]
    )
    assert emulator.messages[scheduled].status == 3
    for server_id in (refused, lost, scheduled):
        with pytest.raises(ValueError, match="does not get"):
            await emulator.reply(server_id, "x")
    # Test mode stores nothing, so there is nothing to answer.
    test_id = int((await send_two_way(session, emulator, test="1"))["server_packet_id"])
    with pytest.raises(KeyError):
        await emulator.reply(test_id, "x")
    assert all(not account.mailbox for account in emulator.accounts.values())


async def test_answer_goes_to_the_newest_two_way_sms_to_that_phone(
    session: ClientSession, emulator: Emulator
) -> None:
    other = emulator.add_account("OTHER", user_id=777)
    older = int((await send_two_way(session, emulator))["server_packet_id"])
    await send_two_way(session, emulator, apikey="OTHER")
    # The subscriber cannot say which SMS they answer: the newest one's account gets it.
    record = await emulator.reply(older, "ответ")
    assert other.mailbox == [record]
    assert emulator.accounts[DEMO_API_KEY].mailbox == []
    with pytest.raises(InboundNotRoutedError, match="user 777") as caught:
        await emulator.inject_inbound(DEMO_API_KEY, PHONE, "5671 hello", num=SHARED_NUMBER)
    route = caught.value.route
    assert route is not None
    assert (route.account, route.text, route.reason) == (other, "5671 hello", RouteReason.TWO_WAY)
    assert [item.text for item in other.mailbox] == ["ответ", "5671 hello"]
    # From another phone the prefix decides.
    record = await emulator.inject_inbound(DEMO_API_KEY, OTHER_PHONE, "5671 hello", SHARED_NUMBER)
    assert emulator.accounts[DEMO_API_KEY].mailbox == [record]


# --- the shared number and prefixes ------------------------------------------------------------


async def test_shared_number_needs_the_prefix_which_is_removed(
    session: ClientSession, emulator: Emulator, webhook: Receiver
) -> None:
    account = emulator.accounts[DEMO_API_KEY]
    account.inbound_webhook_url = webhook.url
    with pytest.raises(InboundNotRoutedError, match="no prefix") as caught:
        await emulator.inject_inbound(DEMO_API_KEY, PHONE, "restart server alfa", SHARED_NUMBER)
    assert caught.value.route is None
    assert account.mailbox == []
    assert webhook.calls == []

    record = await emulator.inject_inbound(
        DEMO_API_KEY, PHONE, "5671 restart server alfa", num=SHARED_NUMBER
    )
    # The document: "message - сообщение (UTF8, префикс удаляется)"; the mailbox shows the same.
    [call] = webhook.calls
    assert call.form == {
        "phone": PHONE,
        "message": "restart server alfa",
        "user_id": "5671",
        "id": str(record.id),
        "num": SHARED_NUMBER,
    }
    [item] = (await api(session, emulator, inbound="new"))["inbound"]
    assert (item["text"], item["num"]) == ("restart server alfa", SHARED_NUMBER)


async def test_other_account_prefix_goes_to_that_account(emulator: Emulator) -> None:
    other = emulator.add_account("OTHER", user_id=12345)
    with pytest.raises(InboundNotRoutedError, match="user 12345") as caught:
        await emulator.inject_inbound(DEMO_API_KEY, PHONE, "12345 open", num=SHARED_NUMBER)
    assert caught.value.route is not None
    assert caught.value.route.reason is RouteReason.PREFIX
    assert [(item.text, item.num) for item in other.mailbox] == [("open", SHARED_NUMBER)]
    assert emulator.accounts[DEMO_API_KEY].mailbox == []
    # Two keys of one user share its prefix: the key the SMS is injected for gets it.
    same_user = emulator.add_account("SAME", user_id=12345)
    record = await emulator.inject_inbound("SAME", PHONE, "12345 close", num=SHARED_NUMBER)
    assert same_user.mailbox == [record]


async def test_dedicated_numbers_need_no_prefix(emulator: Emulator) -> None:
    for num in (DEFAULT_INBOUND_NUMBER, "79021121075"):
        record = await emulator.inject_inbound(DEMO_API_KEY, PHONE, "5671 open", num)
        assert (record.text, record.num) == ("5671 open", num)
    assert (await emulator.inject_inbound(DEMO_API_KEY, PHONE, "open")).num == (
        DEFAULT_INBOUND_NUMBER
    )


async def test_shared_number_can_be_changed(session: ClientSession, emulator: Emulator) -> None:
    emulator.shared_number = "79990001122"
    server_id = int((await send_two_way(session, emulator))["server_packet_id"])
    assert emulator.messages[server_id].service_number == "79990001122"
    assert (await emulator.reply(server_id, "ok")).num == "79990001122"
    # The old shared number is now just a number of the account's own.
    record = await emulator.inject_inbound(DEMO_API_KEY, OTHER_PHONE, "hi", num=SHARED_NUMBER)
    assert record.text == "hi"


@pytest.mark.parametrize(
    ("prefix", "text", "received"),
    [
        ("5671", "5671 restart server alfa", "restart server alfa"),
        ("5671", "  5671\n open  the door ", "open  the door "),
        ("5671", "5671", ""),
        ("alfa", "ALFA open", "open"),
        ("5671", "56710 open", None),
        ("5671", "5671open", None),
        ("5671", "open 5671", None),
        ("5671", "", None),
        ("", "5671 open", None),
    ],
)
def test_strip_prefix(prefix: str, text: str, received: str | None) -> None:
    assert strip_prefix(prefix, text) == received


# --- loop protection ---------------------------------------------------------------------------


async def test_loop_protection_fault_refuses_sends_with_243(
    session: ClientSession, emulator: Emulator
) -> None:
    emulator.set_fault("loop_protection", count=2)
    # Reads and cost estimates pass and do not use the fault up.
    assert (await api(session, emulator, balance="rur")) == {"balance": "2934.76"}
    assert (await send_two_way(session, emulator, cost="1")) == {"cost": "3.13"}
    # So do sends refused for another reason first.
    assert (await send_two_way(session, emulator, to="7908abc"))["error"]["code"] == "111"
    assert [fault.remaining for fault in emulator.faults] == [2]
    assert await send_two_way(session, emulator) == {
        "error": {
            "code": 243,
            "description": "Loop protection",
            "description_ru": "Сработала защита от дубликатов",
            "ip": "127.0.0.1",
        }
    }
    assert await api_text(session, emulator, send="Hi", to=PHONE) == "ERROR=243: LOOP PROTECTION"
    assert emulator.faults == []
    assert emulator.messages == {}
    assert emulator.accounts[DEMO_API_KEY].balance == Decimal("2934.76")
    assert (await send_two_way(session, emulator))["send"][0]["status"] == "0"


async def test_loop_protection_until_cleared_and_through_control(
    session: ClientSession, emulator: Emulator
) -> None:
    status, body = await control(session, emulator, "/faults", {"kind": "loop_protection"})
    assert (status, body) == (200, {"kind": "loop_protection", "remaining": None, "seconds": 0.0})
    for _ in range(3):
        assert (await send_two_way(session, emulator))["error"]["code"] == 243
    # A refused request (bad phone) is answered for what it is.
    assert (await send_two_way(session, emulator, to="7908abc"))["error"]["code"] == "111"
    emulator.clear_faults()
    assert (await send_two_way(session, emulator))["send"][0]["status"] == "0"


# --- control endpoints -------------------------------------------------------------------------


async def test_control_two_way_prefix_and_reply(
    session: ClientSession, emulator: Emulator, webhook: Receiver
) -> None:
    account = emulator.accounts[DEMO_API_KEY]
    assert await control(
        session, emulator, f"/accounts/{DEMO_API_KEY}/two_way", {"survey_template": "off"}
    ) == (200, {"survey_template": False})
    assert account.survey_template is False
    assert (await send_two_way(session, emulator))["error"]["code"] == 227
    assert await control(
        session, emulator, f"/accounts/{DEMO_API_KEY}/two_way", {"survey_template": "on"}
    ) == (200, {"survey_template": True})
    answer = await send_two_way(session, emulator)
    server_id = answer["server_packet_id"]

    await control(session, emulator, f"/accounts/{DEMO_API_KEY}/webhook", {"url": webhook.url})
    status, body = await control(
        session, emulator, "/reply", {"server_id": server_id, "message": "Да"}
    )
    assert status == 200
    assert body["inbound"]["text"] == "Да"
    assert body["inbound"]["num"] == SHARED_NUMBER
    assert (body["webhook_delivered"], body["user_id"]) == (True, 5671)
    assert webhook.calls[0].form["message"] == "Да"

    assert await control(
        session, emulator, f"/accounts/{DEMO_API_KEY}/prefix", {"prefix": "A1"}
    ) == (
        200,
        {"prefix": "A1"},
    )
    status, body = await control(
        session,
        emulator,
        "/inbound",
        {"api_key": DEMO_API_KEY, "phone": OTHER_PHONE, "message": "a1 hi", "num": SHARED_NUMBER},
    )
    assert (status, body["inbound"]["text"]) == (200, "hi")
    status, body = await control(
        session,
        emulator,
        "/inbound",
        {"api_key": DEMO_API_KEY, "phone": OTHER_PHONE, "message": "5671 hi", "num": SHARED_NUMBER},
    )
    assert status == 409
    assert body["routed_to_user_id"] is None
    assert await control(session, emulator, f"/accounts/{DEMO_API_KEY}/prefix", {}) == (
        200,
        {"prefix": "5671"},
    )

    async with session.get(emulator.base_url + "/emulator/state") as response:
        state = await response.json()
    assert state["shared_number"] == SHARED_NUMBER
    assert (state["accounts"][0]["prefix"], state["accounts"][0]["survey_template"]) == (
        "5671",
        True,
    )


async def test_control_inbound_names_the_account_it_went_to(
    session: ClientSession, emulator: Emulator
) -> None:
    emulator.add_account("OTHER", user_id=777)
    status, body = await control(
        session,
        emulator,
        "/inbound",
        {"api_key": DEMO_API_KEY, "phone": PHONE, "message": "777 hi", "num": SHARED_NUMBER},
    )
    assert (status, body["routed_to_user_id"]) == (409, 777)
    assert "user 777" in body["error"]


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/reply", {"message": "x"}, 400),
        ("/reply", {"server_id": "abc", "message": "x"}, 400),
        ("/reply", {"server_id": "1"}, 400),
        ("/reply", {"server_id": "1", "message": "x"}, 404),
        ("/accounts/NOPE/two_way", {"survey_template": "on"}, 404),
        (f"/accounts/{DEMO_API_KEY}/two_way", {"survey_template": "maybe"}, 400),
        (f"/accounts/{DEMO_API_KEY}/two_way", {}, 400),
        ("/accounts/NOPE/prefix", {"prefix": "1"}, 404),
        (f"/accounts/{DEMO_API_KEY}/prefix", {"prefix": "two words"}, 400),
    ],
)
async def test_control_errors(
    session: ClientSession, emulator: Emulator, path: str, data: dict[str, str], status: int
) -> None:
    assert (await control(session, emulator, path, data))[0] == status
    assert emulator.accounts[DEMO_API_KEY].survey_template is True
    assert emulator.accounts[DEMO_API_KEY].prefix == "5671"


async def test_control_reply_to_a_plain_sms_is_a_conflict(
    session: ClientSession, emulator: Emulator
) -> None:
    server_id = (await api(session, emulator, send="Hi", to=PHONE))["server_packet_id"]
    status, body = await control(
        session, emulator, "/reply", {"server_id": server_id, "message": "x"}
    )
    assert (status, body) == (409, {"error": "Only a 2WAY SMS can be answered"})
