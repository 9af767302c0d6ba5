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
    """Return how many SMS parts a text takes (GSM-7 160/153, otherwise UCS-2 70/67)."""
    septets = 0
    for char in text:
        if char in GSM7_BASIC:
            septets += 1
        elif char in GSM7_EXTENSION:
            septets += 2
        else:
            # A single non-GSM character switches the whole text to UCS-2.
            return _parts(len(text), UCS2_SINGLE, UCS2_PART)
    return _parts(septets, GSM7_SINGLE, GSM7_PART)


def _parts(length: int, single: int, part: int) -> int:
    """Split a length into parts: one if it fits a single SMS, else ceil(length / part)."""
    if length <= single:
        return 1
    return -(-length // part)


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
