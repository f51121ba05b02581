"""Load the device catalog (packaged TOML plus an optional user file) into DeviceSpecs."""

from __future__ import annotations

import os
import platform
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DeviceAccess, DeviceError, DeviceSpec

CATALOG_ENV = "HWNAS_CATALOG"
USER_CATALOG = Path("~/.config/hwnas/devices.toml")
HOST_CPU = "host-cpu"
_ACCESS_FIELDS = {f.name for f in fields(DeviceAccess)}
_SPEC_FIELDS = {f.name for f in fields(DeviceSpec)}


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"device catalog {origin} is not valid TOML: {error}") from None
    devices = data.get("devices", {})
    if not isinstance(devices, dict):
        raise ConfigError(f"device catalog {origin}: [devices] must be a table of devices")
    return devices


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _spec(name: str, entry: Mapping[str, Any], origin: str) -> DeviceSpec:
    unknown = set(entry) - _SPEC_FIELDS
    if unknown:
        raise ConfigError(
            f"device {name!r} in {origin}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_SPEC_FIELDS - {'name'}))}"
        )
    for required in ("kind", "family"):
        if required not in entry:
            raise ConfigError(f"device {name!r} in {origin}: missing field {required!r}")
    access = dict(entry.get("access", {}))
    bad = set(access) - _ACCESS_FIELDS
    if bad:
        raise ConfigError(
            f"device {name!r} in {origin}: unknown access field(s) {', '.join(sorted(bad))}; "
            f"known: {', '.join(sorted(_ACCESS_FIELDS))}"
        )
    values = {k: v for k, v in entry.items() if k != "access"}
    values["peak_gflops"] = {str(k): float(v) for k, v in dict(values.get("peak_gflops", {})).items()}
    return DeviceSpec(name=name, access=DeviceAccess(**access), **values)


def detect_host_cpu() -> dict[str, Any]:
    """Peak figures of this host's CPU, from its core count, clock and vector width."""
    import psutil

    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    frequency = psutil.cpu_freq()
    ghz = (frequency.max or frequency.current) / 1000.0 if frequency else 2.0
    if ghz <= 0:
        ghz = 2.0
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        pass
    # FP32 FLOP per cycle per core: two FMA units x vector lanes x 2.
    if " avx512f" in flags:
        per_cycle = 64
    elif " avx2" in flags and " fma" in flags:
        per_cycle = 32
    elif platform.machine() in ("aarch64", "arm64"):
        per_cycle = 16
    else:
        per_cycle = 8
    fp32 = cores * ghz * per_cycle
    return {
        "kind": "arm-cpu" if platform.machine() in ("aarch64", "arm64") else "x86-cpu",
        "description": f"this host: {cores} cores at {ghz:.2f} GHz, {per_cycle} FP32 FLOP/cycle/core "
        f"({platform.processor() or platform.machine()})",
        "peak_gflops": {"fp32": round(fp32, 1)},
        # No portable way to read DRAM bandwidth: a dual-channel DDR4 desktop figure.
        "memory_bandwidth_gbps": 25.6,
        "properties": {"detected": True, "cores": cores, "ghz": ghz},
    }


class DeviceCatalog:
    """Devices by name, with family look-up (`jetson` resolves to the single Jetson)."""

    def __init__(self, devices: Mapping[str, DeviceSpec]) -> None:
        self._devices = dict(devices)

    def names(self) -> list[str]:
        return sorted(self._devices)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._devices[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._devices)

    def __contains__(self, name: object) -> bool:
        return name in self._devices

    def get(self, name: str) -> DeviceSpec:
        """A device by exact name, or by family/kind when exactly one device matches."""
        if name in self._devices:
            return self._devices[name]
        matches = [d for d in self if name in (d.family, d.kind)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise DeviceError(
                f"{name!r} matches several devices: {', '.join(d.name for d in matches)}; "
                "pass one of these names to --device"
            )
        raise DeviceError(
            f"unknown device {name!r}; known devices: {', '.join(self.names())} "
            "(add your own with a catalog file, see `hwnas devices --help`)"
        )


def load_catalog(extra: str | Path | None = None) -> DeviceCatalog:
    """The packaged catalog merged with the user's file.

    The user file is `extra`, else $HWNAS_CATALOG, else ~/.config/hwnas/devices.toml.
    """
    text = resources.files("hwnas.devices").joinpath("catalog.toml").read_text(encoding="utf-8")
    entries = _read_toml(text, "the packaged catalog")
    entries[HOST_CPU] = _merge(entries.get(HOST_CPU, {}), detect_host_cpu())
    origin = "the packaged catalog"
    user_path: Path | None = None
    if extra is not None:
        user_path = Path(extra).expanduser()
        if not user_path.is_file():
            raise ConfigError(f"device catalog {user_path} does not exist; check the path")
    elif os.environ.get(CATALOG_ENV):
        user_path = Path(os.environ[CATALOG_ENV]).expanduser()
        if not user_path.is_file():
            raise ConfigError(f"${CATALOG_ENV} points at {user_path}, which does not exist")
    elif USER_CATALOG.expanduser().is_file():
        user_path = USER_CATALOG.expanduser()
    if user_path is not None:
        origin = str(user_path)
        for name, entry in _read_toml(user_path.read_text(encoding="utf-8"), origin).items():
            entries[name] = _merge(entries.get(name, {}), entry)
    return DeviceCatalog({name: _spec(name, entry, origin) for name, entry in entries.items()})


def get_device(name: str | DeviceSpec, catalog: str | Path | None = None) -> DeviceSpec:
    """A DeviceSpec by name or family (a DeviceSpec passes through)."""
    if isinstance(name, DeviceSpec):
        return name
    return load_catalog(catalog).get(name)


def list_devices(catalog: str | Path | None = None) -> list[str]:
    """Names of all devices in the merged catalog."""
    return load_catalog(catalog).names()
