"""Count how many SMS parts a text needs (GSM-7 160/153 or UCS-2 70/67)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

# GSM 03.38 basic character set (3GPP TS 23.038), one septet each. The escape code itself
# is left out: it is not something a user can type.
_GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: escape + character, so two septets each.
_GSM7_EXTENSION: Final = frozenset("^{}\\[~]|€\f")

_GSM7_SINGLE: Final = 160
_GSM7_CONCATENATED: Final = 153
_UCS2_SINGLE: Final = 70
_UCS2_CONCATENATED: Final = 67


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsParts:
    """How a text is encoded, its length in that encoding's units and its number of parts."""

    encoding: Literal["gsm7", "ucs2"]
    length: int
    parts: int


def count_sms_parts(text: str) -> SmsParts:
    """Return the encoding, length and number of SMS parts for `text`.

    GSM-7 counts septets (extension characters take two); any character outside GSM-7 makes
    the whole text UCS-2, counted in UTF-16 code units (so an emoji takes two). A long text is
    split into 153-septet or 67-unit parts without cutting an escape pair or a surrogate
    pair in half, as phones do. An empty text needs no parts.
    """
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text):
        sizes = [2 if char in _GSM7_EXTENSION else 1 for char in text]
        return SmsParts(
            encoding="gsm7",
            length=sum(sizes),
            parts=_count_parts(sizes, _GSM7_SINGLE, _GSM7_CONCATENATED),
        )
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsParts(
        encoding="ucs2",
        length=sum(sizes),
        parts=_count_parts(sizes, _UCS2_SINGLE, _UCS2_CONCATENATED),
    )


def _count_parts(sizes: list[int], single: int, concatenated: int) -> int:
    """Fill parts of `concatenated` units greedily, never splitting one character."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts = 1
    used = 0
    for size in sizes:
        if used + size > concatenated:
            parts += 1
            used = 0
        used += size
    return parts
