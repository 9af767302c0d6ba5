"""Fault switches: latency, HTTP 500, non-JSON, dropped connections, loop protection (243)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """A way the emulated API can misbehave."""

    LATENCY = "latency"
    HTTP_500 = "http_500"
    NON_JSON = "non_json"
    DROP_CONNECTION = "drop_connection"
    # Error 243 for the next sends (SMS, 2WAY, calls, number checks; not cost=1 estimates):
    # counted only by sends that would otherwise be stored.
    LOOP_PROTECTION = "loop_protection"


DEFAULT_LATENCY_SECONDS = 1.0


@dataclass(slots=True, kw_only=True)
class Fault:
    """One switched-on fault: for `remaining` more requests, or until cleared when None."""

    kind: FaultKind
    remaining: int | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultPlan:
    """What to do to one API request: wait first, then maybe break the answer."""

    delay: float = 0.0
    breakage: FaultKind | None = None


class FaultSwitches:
    """The set of active faults; each API request consumes one use of every fault it meets."""

    def __init__(self) -> None:
        """Start with every fault off."""
        self._faults: dict[FaultKind, Fault] = {}

    def set(self, kind: str, count: int | None = None, *, seconds: float | None = None) -> Fault:
        """Switch a fault on for the next `count` API requests (None: until cleared).

        Loop protection counts only the sends it refuses.
        """
        fault_kind = FaultKind(kind)
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or None for until cleared")
        if seconds is None:
            seconds = DEFAULT_LATENCY_SECONDS if fault_kind is FaultKind.LATENCY else 0.0
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        fault = Fault(kind=fault_kind, remaining=count, seconds=seconds)
        self._faults[fault_kind] = fault
        return fault

    def clear(self) -> None:
        """Switch every fault off."""
        self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        """The faults currently switched on."""
        return list(self._faults.values())

    def take(self) -> FaultPlan:
        """Decide the transport faults for one API request, using up counted ones."""
        delay = 0.0
        breakage: FaultKind | None = None
        latency = self._use(FaultKind.LATENCY)
        if latency is not None:
            delay = latency.seconds
        # One broken answer per request; the most drastic fault wins.
        for kind in (FaultKind.DROP_CONNECTION, FaultKind.HTTP_500, FaultKind.NON_JSON):
            if kind in self._faults:
                self._use(kind)
                breakage = kind
                break
        return FaultPlan(delay=delay, breakage=breakage)

    def consume(self, kind: FaultKind) -> bool:
        """Use one request's worth of a fault; return True when it was switched on."""
        return self._use(kind) is not None

    def _use(self, kind: FaultKind) -> Fault | None:
        """Use one request's worth of a fault; forget it when its count runs out."""
        fault = self._faults.get(kind)
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._faults[kind]
        return fault
