"""A local, stateful emulator of the SMSPilot HTTP API-1 for tests and demos."""

from __future__ import annotations

from .faults import Fault, FaultKind
from .inbound import InboundNotRoutedError, Route, RouteReason
from .pricing import MessageKind, Prices
from .server import Emulator
from .state import (
    DEFAULT_INBOUND_NUMBER,
    DEMO_API_KEY,
    DEMO_USER_ID,
    SHARED_NUMBER,
    Account,
    InboundRecord,
    Message,
    RecordedRequest,
)

__all__ = [
    "DEFAULT_INBOUND_NUMBER",
    "DEMO_API_KEY",
    "DEMO_USER_ID",
    "SHARED_NUMBER",
    "Account",
    "Emulator",
    "Fault",
    "FaultKind",
    "InboundNotRoutedError",
    "InboundRecord",
    "Message",
    "MessageKind",
    "Prices",
    "RecordedRequest",
    "Route",
    "RouteReason",
]
