"""A local, stateful emulator of the SMSPilot HTTP API-1 for tests and demos."""

from __future__ import annotations

from .faults import Fault, FaultKind
from .pricing import MessageKind, Prices
from .server import Emulator
from .state import (
    DEMO_API_KEY,
    DEMO_USER_ID,
    Account,
    InboundRecord,
    Message,
    RecordedRequest,
)

__all__ = [
    "DEMO_API_KEY",
    "DEMO_USER_ID",
    "Account",
    "Emulator",
    "Fault",
    "FaultKind",
    "InboundRecord",
    "Message",
    "MessageKind",
    "Prices",
    "RecordedRequest",
]
