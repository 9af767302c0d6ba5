"""Tolerant JSON decoding for SMSPilot answers, which are not always valid JSON."""

from __future__ import annotations

import json
from typing import Final

from .errors import SmsPilotResponseError

_OPENERS: Final = {"{": "}", "[": "]"}
_CLOSERS: Final = {"}": "{", "]": "["}
_VALID_ESCAPES: Final = frozenset('"\\/bfnrtu')
_WHITESPACE: Final = frozenset(" \t\r\n")


def loads_tolerant(text: str) -> object:
    r"""Decode JSON; on failure repair the service's known slips once, then give up.

    The API document itself shows a trailing comma (FlashCall), a missing final brace
    (voice call) and backslashes before letters that are not JSON escapes (``спам\\ошибки``).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as first_error:
        repaired = repair_json(text)
        if repaired == text:
            raise SmsPilotResponseError(
                f"Answer is not JSON ({first_error.msg} at position {first_error.pos})"
            ) from None
    except (RecursionError, ValueError):
        # Absurdly deep nesting or huge numbers: nothing SMSPilot sends.
        raise SmsPilotResponseError("Answer is not JSON SMSPilot would send") from None
    try:
        return json.loads(repaired)
    except json.JSONDecodeError as second_error:
        raise SmsPilotResponseError(
            f"Answer is not JSON even after repair ({second_error.msg})"
        ) from None
    except (RecursionError, ValueError):
        raise SmsPilotResponseError("Answer is not JSON SMSPilot would send") from None


def repair_json(text: str) -> str:
    """Drop trailing commas, escape stray backslashes and balance brackets outside strings."""
    out: list[str] = []
    stack: list[str] = []
    in_string = False
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if in_string:
            if char == "\\":
                following = text[index + 1 : index + 2]
                if following and following in _VALID_ESCAPES:
                    out.append(text[index : index + 2])
                    index += 2
                    continue
                # A lone backslash before an ordinary letter: keep it as a literal backslash.
                out.append("\\\\")
            else:
                if char == '"':
                    in_string = False
                out.append(char)
            index += 1
            continue
        if char == '"':
            in_string = True
            out.append(char)
        elif char in _OPENERS:
            stack.append(char)
            out.append(char)
        elif char in _CLOSERS:
            _close(out, stack, char)
        elif char == ",":
            if _next_significant(text, index + 1) not in ("]", "}"):
                out.append(char)
        else:
            out.append(char)
        index += 1
    if not in_string:
        while stack:
            out.append(_OPENERS[stack.pop()])
    return "".join(out)


def _close(out: list[str], stack: list[str], closer: str) -> None:
    """Emit a closing bracket, first closing any inner brackets left open before it."""
    opener = _CLOSERS[closer]
    if opener not in stack:
        # Nothing to close: an extra bracket is dropped.
        return
    while stack[-1] != opener:
        out.append(_OPENERS[stack.pop()])
    stack.pop()
    out.append(closer)


def _next_significant(text: str, start: int) -> str:
    """Return the next non-whitespace character from `start`, or "" at the end."""
    for char in text[start:]:
        if char not in _WHITESPACE:
            return char
    return ""
