"""Describe the machine a benchmark ran on."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version
import os
from pathlib import Path
import platform


def _cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float | None:
    """Return the machine's memory in GiB from /proc/meminfo."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    return None


def describe() -> dict[str, str]:
    """Return the facts that make a benchmark result comparable."""
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415 - heavy import

    memory = _memory_gib()
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{memory:.0f} GiB" if memory else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "aiohttp": version("aiohttp"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # Other work on the machine skews every timing row; the reader should know of it.
        "load": f"{os.getloadavg()[0]:.1f}",
    }
