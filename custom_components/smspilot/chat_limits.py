"""What keeps an SMS chat with Assist from running away: rate limits, loop and echo guards.

Everything is kept in memory for one loaded account: a reload or a restart starts afresh,
which errs on the side of answering (the limits are about cost, not about security).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from homeassistant.util import dt as dt_util

from .api import count_sms_parts

HOUR: Final = timedelta(hours=1)
# Our own replies are remembered this long (at most this many per number) to drop echoes.
ECHO_MEMORY: Final = timedelta(hours=1)
ECHO_MEMORY_SIZE: Final = 10
ELLIPSIS: Final = "…"


class Verdict(StrEnum):
    """Whether a chat may answer now."""

    OK = "ok"
    # Over a limit for the first time in this window: one short notice, then silence.
    NOTICE = "notice"
    SILENT = "silent"


def next_local_midnight(now: datetime) -> datetime:
    """Return the start of Home Assistant's next local day."""
    return dt_util.start_of_local_day(dt_util.as_local(now)) + timedelta(days=1)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(slots=True)
class _Day:
    """Replies of the account on one local day."""

    ends: datetime
    count: int = 0


@dataclass(slots=True)
class ChatLimits:
    """Replies per number per rolling hour and per account per local day, and the guards."""

    _hour: dict[str, deque[datetime]] = field(default_factory=dict)
    _day: _Day | None = None
    # Per number: the end of the window its notice was sent for.
    _noticed: dict[str, datetime] = field(default_factory=dict)
    # Per number: the end of the day SMSPilot's loop protection (243) stopped replies for.
    _blocked: dict[str, datetime] = field(default_factory=dict)
    _replies: dict[str, deque[tuple[datetime, str]]] = field(default_factory=dict)

    def check(self, phone: str, per_hour: int, per_day: int, now: datetime) -> Verdict:
        """Tell whether `phone` may get a reply now, a notice, or nothing."""
        times = self._hour.setdefault(phone, deque())
        while times and times[0] <= now - HOUR:
            times.popleft()
        window_end: datetime | None = None
        if len(times) >= per_hour:
            window_end = times[-per_hour] + HOUR
        day = self._today(now)
        if day.count >= per_day:
            window_end = max(window_end or day.ends, day.ends)
        if window_end is None:
            return Verdict.OK
        if self._noticed.get(phone) == window_end:
            return Verdict.SILENT
        self._noticed[phone] = window_end
        return Verdict.NOTICE

    def count(self, phone: str, text: str, now: datetime) -> None:
        """Count a reply sent to `phone` and remember its text to recognise its echo."""
        self._hour.setdefault(phone, deque()).append(now)
        self._today(now).count += 1
        replies = self._replies.setdefault(phone, deque(maxlen=ECHO_MEMORY_SIZE))
        replies.append((now, _fold(text)))

    def remember(self, phone: str, text: str, now: datetime) -> None:
        """Remember a notice's text (not counted) to recognise its echo."""
        replies = self._replies.setdefault(phone, deque(maxlen=ECHO_MEMORY_SIZE))
        replies.append((now, _fold(text)))

    def is_echo(self, phone: str, text: str, now: datetime) -> bool:
        """Tell whether `text` is one of our recent replies to `phone` coming back."""
        folded = _fold(text)
        return any(
            sent > now - ECHO_MEMORY and reply == folded
            for sent, reply in self._replies.get(phone, ())
        )

    def block_for_today(self, phone: str, now: datetime) -> bool:
        """Stop replies to `phone` until local midnight; False if it was blocked already."""
        if self.blocked(phone, now):
            return False
        self._blocked[phone] = next_local_midnight(now)
        return True

    def blocked(self, phone: str, now: datetime) -> bool:
        """Tell whether loop protection stopped replies to `phone` for today."""
        until = self._blocked.get(phone)
        if until is None:
            return False
        if now >= until:
            del self._blocked[phone]
            return False
        return True

    def _today(self, now: datetime) -> _Day:
        if self._day is None or now >= self._day.ends:
            self._day = _Day(ends=next_local_midnight(now))
        return self._day


def cut_to_parts(text: str, max_parts: int) -> str:
    """Return `text` cut at a character boundary to fit `max_parts` SMS, ending with "…"."""
    text = text.strip()
    if count_sms_parts(text).parts <= max_parts:
        return text
    # Binary search for the longest head that fits with the ellipsis (itself UCS-2).
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_sms_parts(text[:middle].rstrip() + ELLIPSIS).parts <= max_parts:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS
