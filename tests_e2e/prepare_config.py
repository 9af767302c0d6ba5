"""Make a throwaway Home Assistant configuration folder for one end-to-end run.

Usage: python prepare_config.py REPO TARGET PORT

Copies REPO/config/configuration.yaml into TARGET with:
- the HTTP server on 127.0.0.1:PORT, stored as Home Assistant's confirmed ("stable") HTTP
  configuration instead of YAML: since 2026 a YAML `http:` block is only a trial that
  Home Assistant reverts (restarting itself) when nobody confirms it within five minutes;
- automations.yaml included (as `automation e2e:`, beside any YAML automations), so the
  automations made in the UI or through its REST API are loaded, as in a new installation;
- internal and external URL http://127.0.0.1:PORT, so the account's webhook has an address
  the emulator can call (inbound SMS and delivery statuses arrive at once);
- `conversation:` (Assist) when the configuration lacks it, as a new installation's
  default_config has it: the SMS chat answers through Home Assistant's conversation agent;
- custom_components/smspilot linked to the repository by its absolute path.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
import re
import sys

UI_AUTOMATIONS = "automation e2e: !include automations.yaml"


def strip_top_level_block(lines: list[str], key: str) -> list[str]:
    """Drop a top-level YAML mapping (`key:` and its indented or blank lines)."""
    out: list[str] = []
    skipping = False
    for line in lines:
        if re.match(rf"^{re.escape(key)}:\s*(#.*)?$", line):
            skipping = True
            continue
        if skipping and (not line.strip() or line[0] in " \t"):
            continue
        skipping = False
        out.append(line)
    return out


def make_configuration(source: str, port: int) -> str:
    """Return configuration.yaml adjusted for the run's port."""
    url = f"http://127.0.0.1:{port}"
    lines = strip_top_level_block(source.splitlines(), "http")
    out: list[str] = []
    for line in lines:
        if re.match(r"^\s+(internal_url|external_url):", line):
            continue
        out.append(line)
        if re.match(r"^homeassistant:\s*$", line):
            out.append(f"  internal_url: {url}")
            out.append(f"  external_url: {url}")
    if not any(line.startswith("homeassistant:") for line in lines):
        out[:0] = ["homeassistant:", f"  internal_url: {url}", f"  external_url: {url}"]
    if not any(re.match(r"^(conversation|default_config):", line) for line in lines):
        out += ["", "# Added by scripts/e2e: Assist, for the SMS chat.", "conversation:"]
    if "!include automations.yaml" not in source:
        out += ["", "# Added by scripts/e2e: the automations made in the UI.", UI_AUTOMATIONS]
    return "\n".join(out) + "\n"


def http_store(port: int) -> dict[str, object]:
    """Return Home Assistant's HTTP config store with the run's address as confirmed."""
    return {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {
            "stable": {
                "server_port": port,
                "server_host": ["127.0.0.1"],
                "cors_allowed_origins": ["https://cast.home-assistant.io"],
                "login_attempts_threshold": -1,
                "ip_ban_enabled": True,
                "ssl_profile": "modern",
                "use_x_frame_options": True,
                "created_at": datetime.now(UTC).isoformat(),
                "error": None,
                "error_message": None,
            },
            "pending": None,
            "yaml_migration_done": True,
        },
    }


def main(argv: list[str]) -> int:
    """Write the configuration folder."""
    repo, target, port = Path(argv[1]).resolve(), Path(argv[2]), int(argv[3])
    target.mkdir(parents=True, exist_ok=True)
    source = (repo / "config" / "configuration.yaml").read_text(encoding="utf-8")
    (target / "configuration.yaml").write_text(make_configuration(source, port), encoding="utf-8")
    if not (target / "automations.yaml").exists():
        (target / "automations.yaml").write_text("[]\n", encoding="utf-8")
    storage = target / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "http").write_text(json.dumps(http_store(port), indent=2), encoding="utf-8")
    components = target / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / "smspilot"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(repo / "custom_components" / "smspilot", target_is_directory=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
