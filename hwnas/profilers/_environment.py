"""What could bias a figure: host load, CPU governor and clock, library versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

_CPUFREQ = Path("/sys/devices/system/cpu/cpu0/cpufreq")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def package_versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions (missing ones are left out)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def host_environment() -> dict[str, Any]:
    """Load average, CPU governor/clock where readable, Python and hwnas versions."""
    env: dict[str, Any] = {
        "host_machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    try:
        env["load_average_1m"] = round(os.getloadavg()[0], 2)
    except OSError:
        env["load_average_1m"] = None
    governor = _read(_CPUFREQ / "scaling_governor")
    env["cpu_governor"] = governor  # None: not readable (VMs, containers)
    frequency = _read(_CPUFREQ / "scaling_cur_freq")
    env["cpu_clock_mhz"] = round(int(frequency) / 1000.0, 1) if frequency else None
    env["clocks_locked"] = governor == "performance" if governor else None
    env["versions"] = package_versions("hwnas", "numpy")
    return env
