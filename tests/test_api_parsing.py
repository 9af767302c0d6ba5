"""Parse every JSON example of the SMSPilot API-1 document (tests/fixtures) and the webhook forms."""

# The expected values are the document's Russian texts, so Cyrillic letters are intended.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from custom_components.smspilot.api import (
    ApiErrorDetail,
    InboundMessage,
    InboundSms,
    MessageState,
    MessageStatus,
    SendResult,
    SentMessage,
    SmsPilotAccountBlockedError,
    SmsPilotAuthenticationError,
    SmsPilotError,
    SmsPilotInsufficientFundsError,
    SmsPilotInvalidInputError,
    SmsPilotResponseError,
    SmsPilotSpamProtectionError,
    StatusCallback,
    UserInfo,
    parse_inbound_sms,
    parse_status_callback,
)
from custom_components.smspilot.api._json import loads_tolerant, repair_json
from custom_components.smspilot.api.parsing import (
    decode_answer,
    parse_balance,
    parse_balance_sms,
    parse_cost,
    parse_inbound,
    parse_send_result,
    parse_states,
    parse_user_info,
)

FIXTURES = Path(__file__).parent / "fixtures"
# The provider document lies in shared/ beside the repository when it is available.
API_DOCUMENT = Path(__file__).resolve().parents[2] / "shared" / "docs" / "smspilot-api-1.md"


def load(name: str) -> dict[str, object]:
    """Decode one fixture exactly as the client decodes an answer body."""
    return decode_answer((FIXTURES / name).read_text(encoding="utf-8"))


def sent(
    server_id: int, phone: str, price: str, status: int = 0, error: ApiErrorDetail | None = None
) -> SentMessage:
    """Build an expected SentMessage."""
    return SentMessage(
        server_id=server_id,
        phone=phone,
        price=Decimal(price),
        status=MessageStatus(status),
        error=error,
    )


BLACKLISTED = ApiErrorDetail(
    code=212, description="Phone in black list", description_ru="Телефон в черном списке"
)
QUICKSTART_RESULT = SendResult(
    messages=(sent(9316849, "79087964781", "1.31"),),
    balance=Decimal("2935.50"),
    cost=Decimal("1.31"),
    packet_id=None,
)
NUMBER_CHECK_RESULT = SendResult(
    messages=(sent(182236219, "79087964781", "0.15"), sent(182236220, "79620488646", "0.30")),
    balance=Decimal("1681.10"),
    cost=Decimal("0.45"),
    packet_id=182236219,
)

# fixture -> expected model, for every successful answer in the document.
SUCCESS_CASES: dict[str, tuple[Callable[[dict[str, object]], object], object]] = {
    "quickstart_send.json": (parse_send_result, QUICKSTART_RESULT),
    "send_with_callback.json": (parse_send_result, QUICKSTART_RESULT),
    "send_single.json": (
        parse_send_result,
        SendResult(
            messages=(sent(9316849, "79087964781", "1.31"),),
            balance=Decimal("2935.50"),
            cost=Decimal("1.31"),
            packet_id=9316849,
        ),
    ),
    "send_packet_partial.json": (
        parse_send_result,
        SendResult(
            messages=(
                sent(182132632, "79087964781", "1.31"),
                sent(182132633, "79161231212", "2.21"),
                sent(182132634, "79999999999", "0.00", -2, error=BLACKLISTED),
            ),
            balance=Decimal("2935.50"),
            cost=Decimal("3.52"),
            packet_id=182132632,
        ),
    ),
    "hlr.json": (parse_send_result, NUMBER_CHECK_RESULT),
    "ping.json": (parse_send_result, NUMBER_CHECK_RESULT),
    "hlrvip.json": (parse_send_result, NUMBER_CHECK_RESULT),
    # Summary inside the `send` array and no closing brace, as printed in the document.
    "voice.json": (
        parse_send_result,
        SendResult(
            messages=(
                sent(182245438, "79087964781", "0.50"),
                sent(182245439, "79835271808", "0.50"),
                sent(182245440, "79999999999", "0.00", -2, error=BLACKLISTED),
            ),
            balance=Decimal("1679.20"),
            cost=Decimal("1.00"),
            packet_id=182245438,
        ),
    ),
    # Trailing comma inside the `send` array, as printed in the document.
    "flashcall.json": (
        parse_send_result,
        SendResult(
            messages=(sent(182245438, "79087964781", "0.80"),),
            balance=Decimal("1679.20"),
            cost=Decimal("1.00"),
            packet_id=182245438,
        ),
    ),
    "twoway.json": (
        parse_send_result,
        SendResult(
            messages=(sent(182264859, "79087964781", "3.13"),),
            balance=Decimal("1673.57"),
            cost=Decimal("3.13"),
            packet_id=182264859,
        ),
    ),
    "cost.json": (parse_cost, Decimal("0.89")),
    "check.json": (
        parse_states,
        (
            MessageState(
                server_id=4566,
                phone="79131437355",
                price=Decimal("1.31"),
                status=MessageStatus.DELIVERED,
            ),
            MessageState(
                server_id=4577,
                phone="79087964781",
                price=Decimal("1.92"),
                status=MessageStatus.NOT_DELIVERED,
            ),
        ),
    ),
    "inbound.json": (
        parse_inbound,
        (
            InboundMessage(
                id=12345,
                phone="79087964781",
                num="79533984570",
                text="Ура работает!",
                created=datetime(2021, 9, 20, 20, 15, tzinfo=UTC),
                seen=False,
            ),
            InboundMessage(
                id=12346,
                phone="79087964782",
                num="79533984570",
                text="Дима Билан!",
                created=datetime(2021, 9, 20, 21, 11, tzinfo=UTC),
                seen=False,
            ),
        ),
    ),
    "balance.json": (parse_balance, Decimal("2934.76")),
    "user_info.json": (
        parse_user_info,
        UserInfo(
            id="5671",
            tariff_id="5",
            email="info@example.com",
            name="Иванов Сергей Николаевич",
            phone="79087964781",
            balance=Decimal("2934.76"),
            registered=datetime(2010, 6, 3, 9, 45, 41, tzinfo=UTC),
            default_sender="INFORM",
            senders=("INFORM", "test"),
        ),
    ),
}

# (exception class, code, field, description, description_ru, details)
type ErrorCase = tuple[type[SmsPilotError], int, str | None, str, str, dict[str, str]]

INVALID_PHONE: ErrorCase = (
    SmsPilotInvalidInputError,
    111,
    "phone",
    "Invalid phone",
    "Неправильный номер телефона",
    {},
)
PHONE_LENGTH_7962: ErrorCase = (
    SmsPilotInvalidInputError,
    215,
    "phone",
    "Invalid phone length",
    "Неправильная длина номера телефона",
    {"phone": "7962048864", "ip": "11.111.211.111"},
)
PHONE_LENGTH_7983: ErrorCase = (
    SmsPilotInvalidInputError,
    215,
    "phone",
    "Invalid phone length",
    "Неправильная длина номера телефона",
    {"phone": "7983527180", "ip": "11.222.222.1"},
)
# The document writes "спам\ошибки" (not a JSON escape); the backslash is kept as text.
USER_BLOCKED: ErrorCase = (
    SmsPilotAccountBlockedError,
    106,
    None,
    "User is blocked",
    "Пользователь заблокирован за спам\\ошибки",
    {"status": "-5", "status_ru": "Проблемы с эл. почтой", "ip": "11.122.111.111"},
)

ERROR_CASES: dict[str, ErrorCase] = {
    "quickstart_error.json": INVALID_PHONE,
    "error_invalid_phone.json": INVALID_PHONE,
    "send_packet_error.json": INVALID_PHONE,
    "check_error.json": (
        SmsPilotInvalidInputError,
        303,
        "ids",
        "Invalid IDs list",
        "Ошибка запроса",
        {"ip": "11.111.222.111"},
    ),
    "hlr_error.json": PHONE_LENGTH_7962,
    "ping_error.json": PHONE_LENGTH_7962,
    "hlrvip_error.json": PHONE_LENGTH_7962,
    "voice_error.json": PHONE_LENGTH_7983,
    "flashcall_error.json": PHONE_LENGTH_7983,
    "inbound_error.json": (
        SmsPilotInvalidInputError,
        500,
        "since",
        "Invalid -since- format YYYY-MM-DD HH:II:SS",
        "Неправильный формат параметра -since- YYYY-MM-DD HH:II:SS",
        {"ip": "11.1111.211.111"},
    ),
    "twoway_error.json": (
        SmsPilotSpamProtectionError,
        227,
        None,
        "Spam protection (SURVEY)",
        "Защита от спама (для опросов\\голосований нужен спец. шаблон)",
        {"phone": "79087964781", "ip": "11.122.211.111"},
    ),
    "user_blocked.json": USER_BLOCKED,
    "debug_error.json": USER_BLOCKED,
}


def test_every_fixture_is_covered() -> None:
    """Each fixture file has an expectation, and each expectation a file."""
    files = {path.name for path in FIXTURES.glob("*.json")}
    assert files == set(SUCCESS_CASES) | set(ERROR_CASES)
    assert len(files) == 28


@pytest.mark.skipif(not API_DOCUMENT.exists(), reason="API document not available")
def test_fixtures_are_copied_byte_for_byte() -> None:
    """Every JSON code block of the API document is a fixture, byte for byte, and vice versa."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in API_DOCUMENT.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("".join(f"{text}\n" for text in current))
                current = None
        elif current is not None:
            current.append(line)
    json_blocks = sorted(block for block in blocks if block.lstrip().startswith("{"))
    fixtures = sorted(path.read_text(encoding="utf-8") for path in FIXTURES.glob("*.json"))
    assert fixtures == json_blocks


@pytest.mark.parametrize("name", sorted(SUCCESS_CASES))
def test_success_fixture(name: str) -> None:
    """A successful answer parses into exactly the documented values."""
    parser, expected = SUCCESS_CASES[name]
    assert parser(load(name)) == expected


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_fixture(name: str) -> None:
    """An error answer raises the mapped exception carrying the documented code and texts."""
    error_class, code, field, description, description_ru, details = ERROR_CASES[name]
    with pytest.raises(SmsPilotError) as caught:
        load(name)
    error = caught.value
    assert type(error) is error_class
    assert error.code == code
    assert error.description == description
    assert error.description_ru == description_ru
    assert dict(error.details) == details
    assert str(error) == f"SMSPilot error {code}: {description}"
    if isinstance(error, SmsPilotInvalidInputError):
        assert error.field == field
    else:
        assert field is None


def test_packet_message_details() -> None:
    """Partial packet: statuses are enums, the refused message is final with its error."""
    result = parse_send_result(load("send_packet_partial.json"))
    first, _, refused = result.messages
    assert first.status is MessageStatus.ACCEPTED
    assert not first.status.is_final
    assert first.error is None
    assert refused.status is MessageStatus.ERROR
    assert refused.status.is_final
    assert refused.error == BLACKLISTED
    assert dict(refused.attributes) == {}


def test_balance_as_sms_count() -> None:
    """balance=sms answers the same shape; the count is a whole number."""
    assert parse_balance_sms({"balance": "2240"}) == 2240
    assert parse_balance_sms(load("balance.json")) == 2934


def test_user_info_without_optional_fields() -> None:
    """Missing or empty optional fields give neutral values."""
    info = parse_user_info({"id": 5671, "balance": 12.5, "default_sender": "", "date": "soon"})
    assert info == UserInfo(
        id="5671",
        tariff_id="",
        email="",
        name="",
        phone="",
        balance=Decimal("12.5"),
        registered=None,
        default_sender=None,
        senders=(),
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"code": "111"}, 111),
        ({"code": 215}, 215),
        ({"code": " 303 "}, 303),
    ],
)
def test_error_code_string_or_number(data: dict[str, object], expected: int) -> None:
    """Error codes come as strings or numbers."""
    with pytest.raises(SmsPilotInvalidInputError) as caught:
        decode_answer(json.dumps({"error": data}))
    assert caught.value.code == expected


@pytest.mark.parametrize(
    ("code", "error_class", "field"),
    [
        (10, SmsPilotInvalidInputError, None),
        (100, SmsPilotAuthenticationError, None),
        (101, SmsPilotAuthenticationError, None),
        (103, SmsPilotAuthenticationError, None),
        (104, SmsPilotAuthenticationError, None),
        (106, SmsPilotAccountBlockedError, None),
        (400, SmsPilotAuthenticationError, None),
        (401, SmsPilotAuthenticationError, None),
        (105, SmsPilotInsufficientFundsError, None),
        (112, SmsPilotInsufficientFundsError, None),
        (241, SmsPilotInsufficientFundsError, None),
        (111, SmsPilotInvalidInputError, "phone"),
        (212, SmsPilotInvalidInputError, "phone"),
        (215, SmsPilotInvalidInputError, "phone"),
        (115, SmsPilotInvalidInputError, "sender"),
        (116, SmsPilotInvalidInputError, "sender"),
        (223, SmsPilotInvalidInputError, "text"),
        (250, SmsPilotInvalidInputError, "send_datetime"),
        (260, SmsPilotInvalidInputError, "callback"),
        (270, SmsPilotInvalidInputError, "ttl"),
        (303, SmsPilotInvalidInputError, "ids"),
        (500, SmsPilotInvalidInputError, "since"),
        (118, SmsPilotSpamProtectionError, None),
        (227, SmsPilotSpamProtectionError, None),
        (243, SmsPilotSpamProtectionError, None),
        (117, SmsPilotError, None),
        (604, SmsPilotError, None),
        (999, SmsPilotError, None),
    ],
)
def test_error_code_mapping(code: int, error_class: type[SmsPilotError], field: str | None) -> None:
    """Each code of docs/protocol.md raises its class; unknown codes raise the base class."""
    with pytest.raises(SmsPilotError) as caught:
        decode_answer(
            json.dumps({"error": {"code": code, "description": "x", "description_ru": "y"}})
        )
    assert type(caught.value) is error_class
    assert getattr(caught.value, "field", None) == field


@pytest.mark.parametrize(
    "body",
    [
        '{"error": "something broke"}',
        '{"error": {"code": "abc", "description": "odd"}}',
        '{"error": {}}',
    ],
)
def test_odd_error_shapes_raise_base_error(body: str) -> None:
    """An error without a readable code still raises, as the base class without a code."""
    with pytest.raises(SmsPilotError) as caught:
        decode_answer(body)
    assert type(caught.value) is SmsPilotError
    assert caught.value.code is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        "SUCCESS=SMS SENT 0.89/320.50\n9316849,79087964782,0.60,0",
        "ERROR=111: INVALID PHONE",
        "<html><body>Bad gateway</body></html>",
        '["send"]',
        '"text"',
        "42",
        "null",
        '{"send": [{"server_id": "1"',
        '{"a": "unterminated}',
    ],
)
def test_non_json_or_non_object_raises_response_error(body: str) -> None:
    """Text, XML, HTML, arrays, scalars and broken JSON are unexpected answers."""
    # Some broken bodies become valid objects after repair; they must still fail the shape.
    with pytest.raises(SmsPilotResponseError):
        parse_send_result(decode_answer(body))


@pytest.mark.parametrize(
    ("data", "parser"),
    [
        ({"send": "9316849"}, parse_send_result),
        ({"send": []}, parse_send_result),
        ({"send": [{"balance": "1.00"}]}, parse_send_result),
        ({"send": ["9316849"]}, parse_send_result),
        ({"send": [{"server_id": "x", "phone": "7", "status": "0"}]}, parse_send_result),
        ({"send": [{"server_id": "1", "phone": "7"}]}, parse_send_result),
        ({"send": [{"server_id": "1", "status": "0"}]}, parse_send_result),
        (
            {"send": [{"server_id": "1", "phone": "7", "status": "0", "price": "a"}]},
            parse_send_result,
        ),
        ({"send": [{"server_id": "1", "phone": "7", "status": True}]}, parse_send_result),
        ({"send": [{"server_id": "1", "phone": None, "status": "0"}]}, parse_send_result),
        ({"check": {"server_id": "1"}}, parse_states),
        ({}, parse_states),
        ({"costs": "1"}, parse_cost),
        ({"cost": "NaN"}, parse_cost),
        ({"cost": None}, parse_cost),
        ({"balance": "lots"}, parse_balance),
        ({}, parse_balance),
        ({"inbound": "none"}, parse_inbound),
        ({"inbound": [{"id": "1", "phone": "7"}]}, parse_inbound),
        ({"id": "5671"}, parse_user_info),
        ({"balance": "1"}, parse_user_info),
    ],
)
def test_wrong_shapes_raise_response_error(
    data: dict[str, object], parser: Callable[[dict[str, object]], object]
) -> None:
    """Answers missing the expected keys or with unreadable values raise SmsPilotResponseError."""
    with pytest.raises(SmsPilotResponseError):
        parser(data)


def test_numbers_as_json_numbers() -> None:
    """Numeric fields may be JSON numbers instead of strings; money stays exact."""
    result = parse_send_result(
        {
            "send": [{"server_id": 7, "phone": 79087964781, "price": 1.31, "status": -1}],
            "balance": 2935.5,
            "cost": 1,
            "server_packet_id": 7,
        }
    )
    assert result == SendResult(
        messages=(
            SentMessage(
                server_id=7,
                phone="79087964781",
                price=Decimal("1.31"),
                status=MessageStatus.NOT_DELIVERED,
            ),
        ),
        balance=Decimal("2935.5"),
        cost=Decimal(1),
        packet_id=7,
    )


def test_extra_fields_become_attributes() -> None:
    """Fields beyond the core ones (fields=all, HLRVIP extras) are kept as text."""
    states = parse_states(
        {
            "check": [
                {
                    "server_id": "5",
                    "phone": "79087964781",
                    "price": "0.15",
                    "status": "2",
                    "error": "0",
                    "parts": 1,
                    "imsi": "250011234567890",
                    "mcc": "250",
                    "gcn": None,
                    "sender": "INFORM",
                }
            ]
        }
    )
    assert states[0].error is None
    assert dict(states[0].attributes) == {
        "parts": "1",
        "imsi": "250011234567890",
        "mcc": "250",
        "gcn": "",
        "sender": "INFORM",
    }


def test_unknown_status_kept_as_int() -> None:
    """A status code the document does not list is kept as a plain int."""
    (state,) = parse_states({"check": [{"server_id": "5", "phone": "7", "status": "7"}]})
    assert state.status == 7
    assert not isinstance(state.status, MessageStatus)
    assert state.price is None


def test_status_answer_with_error_fields() -> None:
    """A failed message in a status answer carries its error detail."""
    (state,) = parse_states(
        {
            "check": [
                {
                    "server_id": "9",
                    "phone": "79000000000",
                    "price": "1.31",
                    "status": "-1",
                    "error": 604,
                    "error_en": "Undeliverable",
                    "error_ru": "Невозможно доставить",
                }
            ]
        }
    )
    assert state.error == ApiErrorDetail(
        code=604, description="Undeliverable", description_ru="Невозможно доставить"
    )


def test_inbound_variants() -> None:
    """Inbound items with seconds in `created`, seen flags and an empty (null) list."""
    messages = parse_inbound(
        {
            "inbound": [
                {
                    "id": 6061,
                    "phone": "79087964781",
                    "num": "79021121075",
                    "text": "test",
                    "created": "2021-10-20 19:11:21",
                    "seen": "1",
                },
                {"id": "6060", "phone": "79087964781", "text": "", "created": "bad", "seen": 0},
            ]
        }
    )
    assert messages == (
        InboundMessage(
            id=6061,
            phone="79087964781",
            num="79021121075",
            text="test",
            created=datetime(2021, 10, 20, 19, 11, 21, tzinfo=UTC),
            seen=True,
        ),
        InboundMessage(id=6060, phone="79087964781", num="", text="", created=None, seen=False),
    )
    assert parse_inbound({"inbound": None}) == ()
    assert parse_inbound({"inbound": []}) == ()


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ('{"a": [1, 2,]}', '{"a": [1, 2]}'),
        ('{"a": 1,\n}', '{"a": 1\n}'),
        ('{"a": [1, {"b": 2}', '{"a": [1, {"b": 2}]}'),
        ('{"a": [1}', '{"a": [1]}'),
        ('{"a": 1}}', '{"a": 1}'),
        ('{"a": "x,]"}', '{"a": "x,]"}'),
        ('{"a": "спам\\ошибки"}', '{"a": "спам\\\\ошибки"}'),
        ('{"a": "q\\"\\n\\u0041\\/"}', '{"a": "q\\"\\n\\u0041\\/"}'),
    ],
)
def test_repair_json(broken: str, repaired: str) -> None:
    """Trailing commas, unbalanced brackets and stray backslashes are repaired outside/inside strings."""
    assert repair_json(broken) == repaired


def test_loads_tolerant_gives_up_once() -> None:
    """Valid JSON passes untouched; unrepairable text raises without echoing the body."""
    assert loads_tolerant('{"balance": "1.00"}') == {"balance": "1.00"}
    with pytest.raises(SmsPilotResponseError) as caught:
        loads_tolerant("secret-body-text")
    assert "secret-body-text" not in str(caught.value)
    with pytest.raises(SmsPilotResponseError):
        loads_tolerant('{"a": tru}')


# Webhooks: the examples of sections 2.1 and 6.1 of the document.

CALLBACK_DELIVERED = "server_id=182138593&phone=79087964781&status=2&error=0"
# The document wraps this line inside `error_ru`; joined here as sent on the wire.
CALLBACK_FAILED = (
    "server_id=182138593&phone=79087964781&status=-1&error=604&error_en=Undeliverable"
    "&error_ru=Невозможно%20доставить"
)
INBOUND_FORM = (
    "phone=79087964781&message=restart%20server%20alfa&user_id=12345&id=54321&num=79533984570"
)


def form(query: str) -> dict[str, str]:
    """Decode a query string or form body the way a web server does."""
    return dict(parse_qsl(query, keep_blank_values=True))


def test_status_callback_delivered() -> None:
    """The document's successful delivery callback."""
    assert parse_status_callback(form(CALLBACK_DELIVERED)) == StatusCallback(
        server_id=182138593,
        phone="79087964781",
        status=MessageStatus.DELIVERED,
        error=None,
    )


def test_status_callback_failed_with_fields() -> None:
    """The document's failed callback, plus extra `fields` attributes."""
    callback = parse_status_callback(form(CALLBACK_FAILED + "&message=hi&sender=INFORM"))
    assert callback == StatusCallback(
        server_id=182138593,
        phone="79087964781",
        status=MessageStatus.NOT_DELIVERED,
        error=ApiErrorDetail(
            code=604, description="Undeliverable", description_ru="Невозможно доставить"
        ),
        attributes={"message": "hi", "sender": "INFORM"},
    )
    assert isinstance(callback.status, MessageStatus)
    assert callback.status.is_final


@pytest.mark.parametrize(
    "query",
    [
        "phone=79087964781&status=2&error=0",
        "server_id=1&status=2",
        "server_id=1&phone=79087964781",
        "server_id=abc&phone=79087964781&status=2",
        "server_id=1&phone=79087964781&status=delivered",
        "server_id=1&phone=79087964781&status=2&error=bad",
        "server_id=1&phone=&status=2",
    ],
)
def test_status_callback_rejects_bad_forms(query: str) -> None:
    """Missing or ill-typed callback fields raise SmsPilotResponseError (answer 400)."""
    with pytest.raises(SmsPilotResponseError):
        parse_status_callback(form(query))


def test_inbound_sms_webhook() -> None:
    """The document's inbound webhook form."""
    assert parse_inbound_sms(form(INBOUND_FORM)) == InboundSms(
        id=54321,
        phone="79087964781",
        message="restart server alfa",
        user_id="12345",
        num="79533984570",
    )


def test_inbound_sms_without_num_and_empty_message() -> None:
    """`num` may be missing and the message may be empty."""
    assert parse_inbound_sms(
        {"phone": "79087964781", "message": "", "user_id": "1", "id": "2"}
    ) == InboundSms(id=2, phone="79087964781", message="", user_id="1", num="")


@pytest.mark.parametrize(
    "query",
    [
        "message=hi&user_id=12345&id=54321",
        "phone=79087964781&user_id=12345&id=54321",
        "phone=79087964781&message=hi&id=54321",
        "phone=79087964781&message=hi&user_id=12345",
        "phone=79087964781&message=hi&user_id=12345&id=54321,",
    ],
)
def test_inbound_sms_rejects_bad_forms(query: str) -> None:
    """Missing or ill-typed inbound fields raise SmsPilotResponseError (answer 400)."""
    with pytest.raises(SmsPilotResponseError):
        parse_inbound_sms(form(query))
