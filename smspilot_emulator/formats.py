"""Render answers in the `format` a request asked for: json, text (the default) or v."""

from __future__ import annotations

from collections.abc import Mapping
import json

from .answers import Answer, AnswerKind

JSON_CONTENT_TYPE = "application/json"
TEXT_CONTENT_TYPE = "text/plain"
MESSAGE_COLUMNS = ("server_id", "phone", "price", "status")
INBOUND_COLUMNS = ("id", "phone", "num", "text", "created", "seen")


def render(answer: Answer, params: Mapping[str, str]) -> tuple[str, str]:
    """Return the body and content type for an answer; xml and unknown formats get JSON."""
    answer_format = params.get("format", "text").strip().lower() or "text"
    if answer_format == "text":
        return _text(answer, russian=_wants_russian(params)), TEXT_CONTENT_TYPE
    if answer_format == "v":
        return _short(answer, russian=_wants_russian(params)), TEXT_CONTENT_TYPE
    return json.dumps(answer.body, ensure_ascii=False), JSON_CONTENT_TYPE


def _wants_russian(params: Mapping[str, str]) -> bool:
    """Return True when `lang=ru` asks for Russian error texts."""
    return params.get("lang", "").strip().lower() == "ru"


def _error_text(answer: Answer, *, russian: bool) -> tuple[str, str]:
    """Return the code and the description in the asked language of an error answer."""
    details = _mapping(answer.body["error"])
    description = details["description_ru" if russian else "description"]
    return str(details["code"]), str(description)


def _totals(answer: Answer) -> dict[str, str]:
    """Return balance, cost and packet id of a send answer, wherever they are placed."""
    if answer.kind is AnswerKind.VOICE_SEND:
        return _rows(answer.body["send"])[-1]
    return {key: str(answer.body[key]) for key in ("balance", "cost", "server_packet_id")}


def _messages(answer: Answer) -> list[dict[str, str]]:
    """Return the message rows of a send or check answer (without the voice totals row)."""
    key = "check" if answer.kind is AnswerKind.CHECK else "send"
    return [row for row in _rows(answer.body[key]) if "server_id" in row]


def _text(answer: Answer, *, russian: bool) -> str:
    """Render the document's CSV-like text form."""
    match answer.kind:
        case AnswerKind.ERROR:
            code, description = _error_text(answer, russian=russian)
            return f"ERROR={code}: {description.upper()}"
        case AnswerKind.SEND | AnswerKind.VOICE_SEND:
            totals = _totals(answer)
            lines = [f"SUCCESS=SMS SENT {totals['cost']}/{totals['balance']}"]
            lines += [_csv(row, MESSAGE_COLUMNS) for row in _messages(answer)]
            return "\n".join(lines)
        case AnswerKind.CHECK:
            return "\n".join(_csv(row, MESSAGE_COLUMNS) for row in _messages(answer))
        case AnswerKind.INBOUND:
            rows = _rows(answer.body["inbound"])
            return "\n".join(_csv(row, INBOUND_COLUMNS) for row in rows)
        case AnswerKind.USER_INFO:
            lines = ["SUCCESS=APIKEY INFO"]
            lines += [f"{key}={value}" for key, value in answer.body.items()]
            return "\n".join(lines)
        case _:
            return str(next(iter(answer.body.values())))


def _short(answer: Answer, *, russian: bool) -> str:
    """Render the shortest `v` form: one value, or the error's description."""
    match answer.kind:
        case AnswerKind.ERROR:
            return _error_text(answer, russian=russian)[1]
        case AnswerKind.SEND | AnswerKind.VOICE_SEND:
            return _totals(answer)["server_packet_id"]
        case AnswerKind.CHECK:
            messages = _messages(answer)
            return messages[0]["status"] if messages else ""
        case AnswerKind.INBOUND | AnswerKind.USER_INFO:
            return _text(answer, russian=russian)
        case _:
            return str(next(iter(answer.body.values())))


def _csv(row: Mapping[str, str], columns: tuple[str, ...]) -> str:
    """Join the given columns of a row with commas."""
    return ",".join(row.get(column, "") for column in columns)


def _rows(value: object) -> list[dict[str, str]]:
    """Narrow a JSON array of string maps built by this package."""
    if not isinstance(value, list):
        return []
    return [{str(key): str(item) for key, item in _mapping(row).items()} for row in value]


def _mapping(value: object) -> dict[str, object]:
    """Narrow a JSON object built by this package."""
    if not isinstance(value, dict):
        return {}
    return {str(key): item for key, item in value.items()}
