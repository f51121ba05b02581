"""The device catalog: DeviceSpecs from a packaged data file plus the user's own."""

from __future__ import annotations

from hwnas.devices._catalog import (
    CATALOG_ENV,
    HOST_CPU,
    DeviceCatalog,
    detect_host_cpu,
    get_device,
    list_devices,
    load_catalog,
)

__all__ = [
    "CATALOG_ENV",
    "HOST_CPU",
    "DeviceCatalog",
    "detect_host_cpu",
    "get_device",
    "list_devices",
    "load_catalog",
]
