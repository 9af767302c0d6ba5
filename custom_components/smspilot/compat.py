"""What differs between the supported Home Assistant releases, in one place."""

from __future__ import annotations

try:
    # Home Assistant 2026 validates with probatio (voluptuous's successor, same API).
    import probatio as vol
except ImportError:  # Home Assistant before 2026
    import voluptuous as vol  # type: ignore[no-redef]

from homeassistant import config_entries

# Options flows that reload their entry when they finish (Home Assistant 2025.8 and newer).
HAS_OPTIONS_FLOW_WITH_RELOAD = hasattr(config_entries, "OptionsFlowWithReload")

__all__ = ["HAS_OPTIONS_FLOW_WITH_RELOAD", "vol"]
