"""Phone number rules and the made-up network facts (country, operator, HLR data) per number."""

from __future__ import annotations

from dataclasses import dataclass

from .texts import INVALID_PHONE, INVALID_PHONE_LENGTH

RUSSIAN_LENGTH = 11
MIN_LENGTH, MAX_LENGTH = 10, 15
IMSI_LENGTH = 15


def phone_error(phone: str) -> int | None:
    """Return the SMSPilot error code for a badly formed phone, or None when it is acceptable."""
    if not phone.isdecimal() or not phone.isascii():
        return INVALID_PHONE
    if phone.startswith("7") and len(phone) != RUSSIAN_LENGTH:
        return INVALID_PHONE_LENGTH
    if not MIN_LENGTH <= len(phone) <= MAX_LENGTH:
        return INVALID_PHONE_LENGTH
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    """Where a number is registered, as an HLR lookup would tell."""

    country: str
    operator: str
    mcc: str
    mnc: str


# Longest prefix first wins; the values are plausible, not authoritative.
_NETWORKS: tuple[tuple[str, Network], ...] = (
    ("7908", Network(country="Russia", operator="Tele2", mcc="250", mnc="20")),
    ("7950", Network(country="Russia", operator="Tele2", mcc="250", mnc="20")),
    ("791", Network(country="Russia", operator="MTS", mcc="250", mnc="01")),
    ("798", Network(country="Russia", operator="MTS", mcc="250", mnc="01")),
    ("792", Network(country="Russia", operator="MegaFon", mcc="250", mnc="02")),
    ("793", Network(country="Russia", operator="MegaFon", mcc="250", mnc="02")),
    ("790", Network(country="Russia", operator="Beeline", mcc="250", mnc="99")),
    ("796", Network(country="Russia", operator="Beeline", mcc="250", mnc="99")),
    ("77", Network(country="Kazakhstan", operator="Kcell", mcc="401", mnc="02")),
    ("7", Network(country="Russia", operator="Rostelecom", mcc="250", mnc="39")),
    ("375", Network(country="Belarus", operator="A1", mcc="257", mnc="01")),
    ("380", Network(country="Ukraine", operator="Kyivstar", mcc="255", mnc="03")),
    ("49", Network(country="Germany", operator="Telekom", mcc="262", mnc="01")),
    ("1", Network(country="United States", operator="T-Mobile", mcc="310", mnc="260")),
)
_UNKNOWN = Network(country="Unknown", operator="Unknown", mcc="001", mnc="01")


def network_for(phone: str) -> Network:
    """Return the made-up home network of a phone number."""
    for prefix, network in _NETWORKS:
        if phone.startswith(prefix):
            return network
    return _UNKNOWN


def hlr_details(phone: str) -> dict[str, str]:
    """Return the extra HLRVIP attributes (imsi, mcc, mnc, cn, net, gcn, gnet) for a phone."""
    network = network_for(phone)
    # An IMSI is MCC + MNC + subscriber number, 15 digits in all; derive it from the phone.
    width = IMSI_LENGTH - len(network.mcc) - len(network.mnc)
    imsi = network.mcc + network.mnc + phone[-width:].rjust(width, "0")
    return {
        "imsi": imsi,
        "mcc": network.mcc,
        "mnc": network.mnc,
        "cn": network.country,
        "net": network.operator,
        # Nobody roams in the emulator: the serving network is the home network.
        "gcn": network.country,
        "gnet": network.operator,
    }
