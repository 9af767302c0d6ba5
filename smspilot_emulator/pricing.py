"""Message parts (GSM-7 / UCS-2 segmentation) and the emulator's price list."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# The GSM 03.38 basic character set; each counts as one septet.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table; each costs an escape septet plus the character.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
# Characters above this code point take a surrogate pair: two UTF-16 code units.
BMP_LAST = 0xFFFF


class MessageKind(StrEnum):
    """What an outgoing request asked SMSPilot to do."""

    SMS = "sms"
    VOICE = "voice"
    FLASH_CALL = "flashcall"
    TWO_WAY = "2way"
    HLR = "hlr"
    PING = "ping"
    HLRVIP = "hlrvip"

    @property
    def is_number_check(self) -> bool:
        """True for HLR, PING and HLRVIP requests."""
        return self in (MessageKind.HLR, MessageKind.PING, MessageKind.HLRVIP)


def count_parts(text: str) -> int:
    """Return how many SMS parts a text takes (GSM-7 160/153, otherwise UCS-2 70/67).

    GSM-7 counts septets, an extension character taking two (escape + character). One
    character outside GSM-7 makes the whole text UCS-2, counted in UTF-16 code units, so a
    character beyond the Basic Multilingual Plane (an emoji) takes two. A long text is cut
    into parts without splitting an escape pair or a surrogate pair. An empty text takes none.
    """
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return _parts(sizes, GSM7_SINGLE, GSM7_PART)
    sizes = [2 if ord(char) > BMP_LAST else 1 for char in text]
    return _parts(sizes, UCS2_SINGLE, UCS2_PART)


def _parts(sizes: list[int], single: int, part: int) -> int:
    """Count parts: one if everything fits a single SMS, else fill `part`-unit parts in order."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        # A character that does not fit whole starts the next part.
        if used + size > part:
            parts += 1
            used = 0
        used += size
    return parts


@dataclass(slots=True, kw_only=True)
class Prices:
    """Price per message part in roubles; tests may change them on a running emulator."""

    sms: Decimal = Decimal("1.31")
    sms_international: Decimal = Decimal("2.21")
    voice: Decimal = Decimal("0.50")
    number_check: Decimal = Decimal("0.15")
    flash_call: Decimal = Decimal("0.80")
    two_way: Decimal = Decimal("3.13")

    def price_per_part(self, kind: MessageKind, phone: str) -> Decimal:
        """Return the price of one part of a message of this kind to this phone."""
        match kind:
            case MessageKind.SMS:
                return self.sms if phone.startswith("7") else self.sms_international
            case MessageKind.VOICE:
                return self.voice
            case MessageKind.FLASH_CALL:
                return self.flash_call
            case MessageKind.TWO_WAY:
                return self.two_way
            case _:
                return self.number_check


def parts_for(kind: MessageKind, text: str) -> int:
    """Return the billed parts: SMS and two-way texts are split, calls and checks are one."""
    if kind in (MessageKind.SMS, MessageKind.TWO_WAY):
        return count_parts(text)
    return 1


def money(value: Decimal) -> str:
    """Format roubles with two decimals, as every SMSPilot answer does."""
    return str(value.quantize(Decimal("0.01")))
