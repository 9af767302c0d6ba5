"""Where an SMS to the shared service number goes (section 6): 2WAY answers, then prefixes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re

from .state import Account, Store

# The first word of a text, the whitespace after it, and the rest.
_FIRST_WORD = re.compile(r"\s*(\S+)(?:\s+|$)(.*)", re.DOTALL)


class RouteReason(StrEnum):
    """Which of the document's rules found the account."""

    TWO_WAY = "2way"
    PREFIX = "prefix"


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """The account an SMS to the shared number reaches, and the text it receives."""

    account: Account
    text: str
    reason: RouteReason


class InboundNotRoutedError(LookupError):
    """An SMS to the shared number did not reach the account it was injected for."""

    def __init__(self, message: str, route: Route | None = None) -> None:
        """Keep where the SMS went instead (None: no account got it)."""
        super().__init__(message)
        self.route = route


def strip_prefix(prefix: str, text: str) -> str | None:
    """Return the text after `prefix` when it is the text's first word, else None.

    The first word is compared without regard to case; leading whitespace and the whitespace
    after the prefix are dropped, the rest is kept as it is.
    """
    match = _FIRST_WORD.fullmatch(text)
    if not prefix or match is None or match.group(1).casefold() != prefix.casefold():
        return None
    return match.group(2)


def route_shared(
    store: Store, num: str, phone: str, text: str, *, prefer: Account | None = None
) -> Route | None:
    """Find the account an SMS from `phone` to the shared number `num` reaches, if any.

    The document's order: first the newest 2WAY SMS from that number to this phone (the
    answer arrives unchanged), then the accounts' prefixes (removed from the text). Among
    accounts with the same prefix `prefer` wins, else the oldest. The document's last step,
    a search of "system tables" (earlier SMS, contacts, users), is not modelled.
    """
    server_id = store.two_way_latest.get((num, phone))
    if server_id is not None:
        owner = store.accounts[store.messages[server_id].api_key]
        return Route(account=owner, text=text, reason=RouteReason.TWO_WAY)
    matches: list[tuple[Account, str]] = []
    for account in store.accounts.values():
        rest = strip_prefix(account.prefix, text)
        if rest is not None:
            matches.append((account, rest))
    if not matches:
        return None
    account, rest = next(
        ((account, rest) for account, rest in matches if account is prefer), matches[0]
    )
    return Route(account=account, text=rest, reason=RouteReason.PREFIX)
