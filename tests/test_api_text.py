"""SMS part counting: GSM-7 160/153 septets, UCS-2 70/67 units, extension characters count 2."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st
import pytest

from custom_components.smspilot.api import SmsParts, count_sms_parts

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"


def test_empty_text_needs_no_parts() -> None:
    """Nothing to send, nothing to count."""
    assert count_sms_parts("") == SmsParts(encoding="gsm7", length=0, parts=0)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (305, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries(length: int, parts: int) -> None:
    """One GSM-7 SMS holds 160 septets; concatenated parts hold 153 each."""
    assert count_sms_parts("a" * length) == SmsParts(encoding="gsm7", length=length, parts=parts)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (69, 1), (70, 1), (71, 2), (133, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries(length: int, parts: int) -> None:
    """One UCS-2 SMS holds 70 characters; concatenated parts hold 67 each."""
    assert count_sms_parts("я" * length) == SmsParts(encoding="ucs2", length=length, parts=parts)


def test_whole_basic_set_is_gsm7() -> None:
    """Every character of the GSM 03.38 basic table counts one septet."""
    assert count_sms_parts(GSM_BASIC) == SmsParts(encoding="gsm7", length=len(GSM_BASIC), parts=1)


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_extension_characters_count_two(char: str) -> None:
    """Each extension character (escape + code) takes two septets."""
    assert count_sms_parts(char) == SmsParts(encoding="gsm7", length=2, parts=1)
    assert count_sms_parts(char * 80) == SmsParts(encoding="gsm7", length=160, parts=1)
    assert count_sms_parts(char * 80 + "a") == SmsParts(encoding="gsm7", length=161, parts=2)


def test_extension_pair_is_not_split_between_parts() -> None:
    """An escape pair that would straddle a 153-septet boundary moves whole to the next part."""
    text = "a" * 152 + "€" + "a" * 152
    assert count_sms_parts(text) == SmsParts(encoding="gsm7", length=306, parts=3)
    # The same length without the straddling pair fits two parts.
    assert count_sms_parts("a" * 151 + "€" + "a" * 153).parts == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет", SmsParts(encoding="ucs2", length=6, parts=1)),
        ("Hello, мир", SmsParts(encoding="ucs2", length=10, parts=1)),
        ("a" * 159 + "я", SmsParts(encoding="ucs2", length=160, parts=3)),
        ("café", SmsParts(encoding="gsm7", length=4, parts=1)),
        ("á", SmsParts(encoding="ucs2", length=1, parts=1)),
        ("tab\there", SmsParts(encoding="ucs2", length=8, parts=1)),
        ("`", SmsParts(encoding="ucs2", length=1, parts=1)),
        ("{я}", SmsParts(encoding="ucs2", length=3, parts=1)),
    ],
)
def test_any_non_gsm_character_switches_to_ucs2(text: str, expected: SmsParts) -> None:
    """One character outside GSM-7 makes the whole text UCS-2; extension chars then count one."""
    assert count_sms_parts(text) == expected


def test_emoji_takes_two_ucs2_units() -> None:
    """Characters outside the BMP are a UTF-16 surrogate pair: two units, never split."""
    assert count_sms_parts("😀") == SmsParts(encoding="ucs2", length=2, parts=1)
    assert count_sms_parts("😀" * 35) == SmsParts(encoding="ucs2", length=70, parts=1)
    assert count_sms_parts("😀" * 35 + "a") == SmsParts(encoding="ucs2", length=71, parts=2)
    straddling = "я" * 66 + "😀" + "я" * 66
    assert count_sms_parts(straddling) == SmsParts(encoding="ucs2", length=134, parts=3)


def _expected_parts(length: int, single: int, concatenated: int) -> int:
    """Return the plain formula's count for texts made of one-unit characters."""
    if length == 0:
        return 0
    return 1 if length <= single else math.ceil(length / concatenated)


@given(st.text(alphabet=GSM_BASIC, max_size=700))
def test_gsm7_basic_texts_follow_the_formula(text: str) -> None:
    """For basic-set texts the count is the plain 160/153 formula."""
    result = count_sms_parts(text)
    assert result.encoding == "gsm7"
    assert result.length == len(text)
    assert result.parts == _expected_parts(len(text), 160, 153)


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВ ,.!?", max_size=400))
def test_cyrillic_texts_follow_the_formula(tail: str) -> None:
    """For Cyrillic texts the count is the plain 70/67 formula."""
    # Starting with a Cyrillic letter keeps punctuation-only texts out (they are GSM-7).
    text = "я" + tail
    result = count_sms_parts(text)
    assert result.encoding == "ucs2"
    assert result.length == len(text)
    assert result.parts == _expected_parts(len(text), 70, 67)


@given(st.text(max_size=400), st.text(max_size=50))
def test_appending_never_reduces_parts(text: str, more: str) -> None:
    """A longer text never needs fewer parts, whatever its characters."""
    assert count_sms_parts(text + more).parts >= count_sms_parts(text).parts
