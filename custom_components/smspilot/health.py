"""What an account's failures ask of the user: a new key (reauth) or a word with SMSPilot."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import SmsPilotAccountBlockedError, SmsPilotAuthenticationError, SmsPilotError
from .const import ACCOUNT_URL, DOMAIN, ISSUE_ACCOUNT_BLOCKED, LOGGER


def blocked_issue_id(entry_id: str) -> str:
    """Return the id of an account's "blocked by SMSPilot" repair issue."""
    return f"{ISSUE_ACCOUNT_BLOCKED}_{entry_id}"


class AccountHealth:
    """Turn authentication and blocking errors of one account into reauth or a repair issue."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Watch one account."""
        self._hass = hass
        self._entry = entry
        # An issue raised before this set-up (a failed one, or before a reload) is ours too.
        self._blocked = (
            ir.async_get(hass).async_get_issue(DOMAIN, blocked_issue_id(entry.entry_id)) is not None
        )

    @callback
    def report(self, err: SmsPilotError) -> None:
        """React to a failed request: a refused key asks for a new one; a block is explained."""
        if isinstance(err, SmsPilotAuthenticationError):
            # Does nothing while a reauthentication flow for the entry is already open.
            self._entry.async_start_reauth(self._hass)
        elif isinstance(err, SmsPilotAccountBlockedError) and not self._blocked:
            self._blocked = True
            LOGGER.warning("SMSPilot reports that the account %s is blocked", self._entry.title)
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                blocked_issue_id(self._entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_ACCOUNT_BLOCKED,
                translation_placeholders={"title": self._entry.title, "url": ACCOUNT_URL},
                learn_more_url=ACCOUNT_URL,
            )

    @callback
    def ok(self) -> None:
        """Forget a block once SMSPilot answers the account's requests again."""
        if self._blocked:
            self._blocked = False
            ir.async_delete_issue(self._hass, DOMAIN, blocked_issue_id(self._entry.entry_id))
