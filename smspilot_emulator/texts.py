"""Error catalogue of the emulated SMSPilot API-1: codes, English and Russian texts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorText:
    """One SMSPilot error code with its texts and the JSON type the document shows for it."""

    code: int
    description: str
    description_ru: str
    # The document prints some codes as JSON strings ("111") and others as numbers (215).
    code_as_string: bool = False


INPUT_REQUIRED = 10
APIKEY_REQUIRED = 100
INVALID_APIKEY = 101
USER_BLOCKED = 106
INVALID_PHONE = 111
INVALID_SENDER = 115
SENDER_NOT_ALLOWED = 116
PHONE_IN_BLACK_LIST = 212
INVALID_PHONE_LENGTH = 215
TEXT_IS_ADVERTISEMENT = 223
SPAM_PROTECTION_SURVEY = 227
NOT_ENOUGH_MONEY = 241
LOOP_PROTECTION = 243
INVALID_SEND_DATETIME = 250
INVALID_CALLBACK = 260
INVALID_TTL = 270
INVALID_IDS_LIST = 303
INVALID_SINCE = 500
UNDELIVERABLE = 604

ERRORS: dict[int, ErrorText] = {
    item.code: item
    for item in (
        ErrorText(
            code=INPUT_REQUIRED,
            description="Input data is required",
            description_ru="Нет входных данных",
        ),
        ErrorText(
            code=APIKEY_REQUIRED,
            description="APIKEY is required",
            description_ru="Требуется API-ключ",
        ),
        ErrorText(
            code=INVALID_APIKEY,
            description="Invalid APIKEY",
            description_ru="Неправильный API-ключ",
        ),
        ErrorText(
            code=USER_BLOCKED,
            description="User is blocked",
            description_ru="Пользователь заблокирован за спам/ошибки",
        ),
        ErrorText(
            code=INVALID_PHONE,
            description="Invalid phone",
            description_ru="Неправильный номер телефона",
            code_as_string=True,
        ),
        ErrorText(
            code=INVALID_SENDER,
            description="Invalid sender",
            description_ru="Неправильное имя отправителя",
        ),
        ErrorText(
            # The document's change log spells it this way.
            code=SENDER_NOT_ALLOWED,
            description="Depricated sender",
            description_ru="Отправитель не разрешён",
        ),
        ErrorText(
            code=PHONE_IN_BLACK_LIST,
            description="Phone in black list",
            description_ru="Телефон в черном списке",
            code_as_string=True,
        ),
        ErrorText(
            code=INVALID_PHONE_LENGTH,
            description="Invalid phone length",
            description_ru="Неправильная длина номера телефона",
        ),
        ErrorText(
            code=TEXT_IS_ADVERTISEMENT,
            description="Text is an advertisement",
            description_ru="Текст является рекламой",
        ),
        ErrorText(
            # The 2WAY section's texts; its JSON example writes "опросов\голосований", not
            # valid JSON, where the XML example has the slash used here.
            code=SPAM_PROTECTION_SURVEY,
            description="Spam protection (SURVEY)",
            description_ru="Защита от спама (для опросов/голосований нужен спец. шаблон)",
        ),
        ErrorText(
            code=NOT_ENOUGH_MONEY,
            description="You don't have enough money",
            description_ru="Нет денег",
        ),
        ErrorText(
            # Only the change log names it: "243: LOOP PROTECTION - сработала защита от
            # дубликатов".
            code=LOOP_PROTECTION,
            description="Loop protection",
            description_ru="Сработала защита от дубликатов",
        ),
        ErrorText(
            code=INVALID_SEND_DATETIME,
            description="Invalid send_datetime",
            description_ru="Неправильная дата/время отправки или дата в прошлом",
        ),
        ErrorText(
            code=INVALID_CALLBACK,
            description="Invalid callback",
            description_ru="Неправильный адрес скрипта приёма статусов",
        ),
        ErrorText(
            code=INVALID_TTL,
            description="Invalid TTL",
            description_ru="Неправильное время жизни сообщения",
        ),
        ErrorText(
            code=INVALID_IDS_LIST,
            description="Invalid IDs list",
            description_ru="Ошибка запроса",
        ),
        ErrorText(
            code=INVALID_SINCE,
            description="Invalid -since- format YYYY-MM-DD HH:II:SS",
            description_ru="Неправильный формат параметра -since- YYYY-MM-DD HH:II:SS",
        ),
        ErrorText(
            code=UNDELIVERABLE,
            description="Undeliverable",
            description_ru="Невозможно доставить",
        ),
    )
}

# Extra attributes the document shows on the "user is blocked" error.
BLOCKED_STATUS = -5
BLOCKED_STATUS_RU = "Проблемы с эл. почтой"  # noqa: RUF001 - Russian text, as the document has it


def error_code_value(code: int) -> int | str:
    """Return an error code typed as the document prints it in JSON (string or number)."""
    text = ERRORS.get(code)
    if text is not None and text.code_as_string:
        return str(code)
    return code


class ApiError(Exception):
    """A request the emulated API refuses with one SMSPilot error code."""

    def __init__(self, code: int, *, phone: str | None = None) -> None:
        """Remember the code and, for errors the document shows with one, the phone."""
        super().__init__(f"SMSPilot error {code}")
        self.code = code
        self.phone = phone

    @property
    def text(self) -> ErrorText:
        """The catalogue entry for this code."""
        return ERRORS[self.code]
