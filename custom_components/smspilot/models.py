"""What a loaded SMSPilot account keeps while it runs, and the typed config entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .api import SmsPilotClient
from .chat import AssistChat
from .coordinator import SmsPilotAccountCoordinator, SmsPilotSmsCountCoordinator
from .delivery import DeliveryTracker
from .health import AccountHealth
from .mailbox import InboundMailbox
from .public_address import PublicAddress
from .sending import Sender

type SmsPilotConfigEntry = ConfigEntry[SmsPilotRuntimeData]


@dataclass(slots=True, kw_only=True)
class SmsPilotRuntimeData:
    """The parts of one loaded account, each with one job."""

    client: SmsPilotClient
    health: AccountHealth
    coordinator: SmsPilotAccountCoordinator
    sms_count_coordinator: SmsPilotSmsCountCoordinator
    delivery: DeliveryTracker
    mailbox: InboundMailbox
    address: PublicAddress
    sender: Sender
    chat: AssistChat
