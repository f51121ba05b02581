from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core import ConfigError, DeviceError
from hwnas.devices import get_device, list_devices, load_catalog

REQUIRED = [
    "jetson-orin-nano", "jetson-agx-orin", "jetson-tx2", "raspberry-pi-4", "raspberry-pi-5",
    "pixel-3", "nvidia-h100", "host-cpu",
]


def test_catalog_has_the_required_devices_with_figures(monkeypatch) -> None:
    monkeypatch.delenv("HWNAS_CATALOG", raising=False)
    catalog = load_catalog()
    for name in REQUIRED:
        spec = catalog.get(name)
        assert spec.peak_gflops.get("fp32", 0) > 0, name
        assert (spec.memory_bandwidth_gbps or 0) > 0, name
        assert spec.default_profiler
    for name in REQUIRED[:-1]:
        spec = catalog.get(name)
        assert spec.max_power_w and spec.idle_power_w and spec.idle_power_w < spec.max_power_w


def test_every_packaged_figure_names_a_source() -> None:
    text = (Path(__file__).resolve().parents[2] / "hwnas/devices/catalog.toml").read_text()
    for line in text.splitlines():
        if line.startswith(("memory_bandwidth_gbps", "idle_power_w", "max_power_w")):
            assert "#" in line, line
    assert text.count("peak_gflops") >= 7


def test_host_cpu_is_detected_at_run_time() -> None:
    spec = get_device("host-cpu")
    assert spec.properties["detected"] is True
    assert spec.properties["cores"] >= 1
    assert spec.access.method == "local"


def test_user_catalog_merges_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text(
        """
[devices.my-orin]
kind = "jetson"
family = "jetson"
peak_gflops = { fp32 = 1000 }
access = { method = "ssh", host = "127.0.0.1", port = 2222, user = "me" }

[devices.raspberry-pi-5]
access = { tracker_host = "farm.local", tracker_port = 9000 }
"""
    )
    catalog = load_catalog(path)
    mine = catalog.get("my-orin")
    assert mine.access.port == 2222 and mine.peak_gflops == {"fp32": 1000.0}
    pi5 = catalog.get("raspberry-pi-5")
    assert pi5.access.tracker_host == "farm.local"
    assert pi5.access.rpc_key == "rpi5"  # untouched fields survive the merge
    assert pi5.peak_gflops["fp32"] == 153.6
    assert "my-orin" in list_devices(path)


def test_family_resolution() -> None:
    assert get_device("nvidia-gpu").name == "nvidia-h100"
    with pytest.raises(DeviceError, match="matches several devices: jetson-agx-orin, jetson-orin-nano, jetson-tx2"):
        get_device("jetson")
    with pytest.raises(DeviceError, match="unknown device 'toaster'"):
        get_device("toaster")


def test_bad_user_catalogs_give_clear_errors(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[devices.x]\nkind = 'jetson'\nfamily = 'jetson'\nbandwidth = 3\n")
    with pytest.raises(ConfigError, match="unknown field\\(s\\) bandwidth"):
        load_catalog(bad)
    bad.write_text("[devices.x\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_catalog(bad)
    bad.write_text("[devices.x]\nfamily = 'jetson'\n")
    with pytest.raises(ConfigError, match="missing field 'kind'"):
        load_catalog(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalog(tmp_path / "nope.toml")
    monkeypatch.setenv("HWNAS_CATALOG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="HWNAS_CATALOG"):
        load_catalog()
