"""Install the requirements of the core integrations the benchmarks compare against.

python -m benchmarks.requirements   (benchmarks/run calls it)

Home Assistant would install them itself when it sets the integration up; installing them
before the run, with Home Assistant's own installer and constraints, keeps the run from
depending on a download in the middle of a measurement.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import sys

# Core integrations whose webhooks are measured beside ours.
COMPARED = ("twilio",)


def _component_dir(domain: str) -> Path:
    """Return the folder of a core integration without importing it (that needs its packages)."""
    spec = importlib.util.find_spec("homeassistant.components")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / domain


def requirements(domain: str) -> list[str]:
    """Return a core integration's requirements as its manifest lists them."""
    manifest = json.loads((_component_dir(domain) / "manifest.json").read_text(encoding="utf-8"))
    return list(manifest.get("requirements", []))


def main() -> int:
    """Install what is missing; say what was done."""
    from homeassistant import requirements as ha_requirements  # noqa: PLC0415 - heavy import
    from homeassistant.util import package  # noqa: PLC0415

    constraints = str(Path(ha_requirements.__file__).parent / ha_requirements.CONSTRAINT_FILE)
    for domain in COMPARED:
        for requirement in requirements(domain):
            if package.is_installed(requirement):
                continue
            print(f"==> installing {requirement} (core {domain} integration)", flush=True)
            if not package.install_package(requirement, constraints=constraints):
                print(f"could not install {requirement}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
