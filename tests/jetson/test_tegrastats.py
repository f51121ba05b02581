"""tegrastats rails, the energy window, nvpmodel and jetson_clocks parsing.

Lines follow the layouts real boards print: Orin Nano (JetPack 6, units, time stamp),
AGX Orin (no single input rail), TX2 (JetPack 4, no units).
"""
# ruff: noqa: E501  (log lines are as long as the tools print them)

from __future__ import annotations

import pytest

from hwnas.profilers._tegrastats import (
    PowerSample,
    TegrastatsError,
    check_cadence,
    parse_jetson_clocks,
    parse_nvpmodel,
    parse_rails,
    parse_stamped_log,
    rail_power_mw,
    window_energy,
)

ORIN_NANO = (
    "11-26-2026 01:02:03 RAM 2510/7620MB (lfb 2x4MB) SWAP 0/3810MB (cached 0MB) "
    "CPU [1%@729,0%@729,0%@729,0%@729,0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] "
    "VIC_FREQ 729 APE 174 CPU@47.75C SOC2@45.5C SOC0@46.125C GPU@46.5C tj@47.75C SOC1@45.593C "
    "VDD_IN 4755mW/4700mW VDD_CPU_GPU_CV 517mW/517mW VDD_SOC 1434mW/1434mW"
)
AGX_ORIN = (
    "11-26-2026 01:02:03 RAM 4321/62801MB (lfb 1759x4MB) SWAP 19/31400MB (cached 0MB) "
    "CPU [0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[0,0] VIC_FREQ 729 APE 174 "
    "CPU@44.562C Tboard@32C VDD_GPU_SOC 2340mW/2340mW VDD_CPU_CV 390mW/390mW "
    "VIN_SYS_5V0 4025mW/4025mW NC 0mW/0mW VDDQ_VDD2_1V8AO 301mW/301mW NC 0mW/0mW"
)
TX2 = (
    "RAM 2020/7852MB (lfb 1164x4MB) CPU [9%@345,21%@345,25%@345,3%@345,1%@345,1%@345] "
    "EMC_FREQ 0% GR3D_FREQ 0% PLL@42.5C MCPU@42.5C PMIC@100C Tboard@40C GPU@41C BCPU@42.5C "
    "thermal@41.9C Tdiode@41.25C VDD_SYS_GPU 153/158 VDD_SYS_SOC 536/547 VDD_4V0_WIFI 633/527 "
    "VDD_IN 3140/3208 VDD_SYS_CPU 536/590 VDD_SYS_DDR 557/601"
)


def test_orin_rails_with_units():
    rails = parse_rails(ORIN_NANO)
    assert rails == {"VDD_IN": 4755.0, "VDD_CPU_GPU_CV": 517.0, "VDD_SOC": 1434.0}


def test_tx2_rails_without_units_and_memory_is_not_a_rail():
    rails = parse_rails(TX2)
    assert rails["VDD_IN"] == 3140.0 and rails["VDD_SYS_GPU"] == 153.0
    assert "RAM" not in rails and len(rails) == 6


def test_agx_orin_input_is_a_sum_of_rails():
    sample = PowerSample(0.0, parse_rails(AGX_ORIN))
    assert rail_power_mw(sample, "VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0") == 2340 + 390 + 4025


def test_a_missing_rail_lists_the_rails_the_board_has():
    sample = PowerSample(0.0, parse_rails(AGX_ORIN))
    with pytest.raises(TegrastatsError, match="VDD_GPU_SOC") as error:
        rail_power_mw(sample, "VDD_IN")
    assert "board_rail" in str(error.value)


def test_mixed_units_are_garbled():
    with pytest.raises(TegrastatsError, match="mixes units"):
        parse_rails("VDD_IN 4755mW/4755")


def _log(powers: list[float], start: float = 100.0, step: float = 0.05) -> str:
    return "\n".join(
        f"{start + i * step:.6f} {ORIN_NANO.replace('VDD_IN 4755mW', f'VDD_IN {p:.0f}mW')}"
        for i, p in enumerate(powers)
    )


def test_window_energy_of_constant_power_is_power_times_time():
    samples = parse_stamped_log(_log([5000.0] * 40))
    window = window_energy(samples, "VDD_IN", 100.2, 101.2)
    assert window.mean_power_mw == pytest.approx(5000.0)
    assert window.energy_mj == pytest.approx(5000.0 * 1.0)  # mW x s = mJ


def test_window_energy_counts_only_samples_inside_the_window():
    samples = parse_stamped_log(_log([3000.0] * 20 + [9000.0] * 20 + [3000.0] * 20))
    busy = window_energy(samples, "VDD_IN", 101.0, 101.95)
    assert busy.samples == 20 and busy.mean_power_mw == pytest.approx(9000.0)
    wide = window_energy(samples, "VDD_IN", 100.0, 102.95)
    assert 3000.0 < wide.mean_power_mw < 9000.0


def test_window_energy_uses_the_trapezoid_rule():
    samples = [PowerSample(0.0, {"VDD_IN": 1000.0}), PowerSample(1.0, {"VDD_IN": 3000.0}),
               PowerSample(3.0, {"VDD_IN": 3000.0})]
    window = window_energy(samples, "VDD_IN", 0.0, 3.0)
    assert window.mean_power_mw == pytest.approx((2000.0 * 1 + 3000.0 * 2) / 3)


def test_a_window_with_too_few_samples_fails():
    samples = parse_stamped_log(_log([5000.0] * 10, step=0.1))
    with pytest.raises(TegrastatsError, match="measure longer"):
        window_energy(samples, "VDD_IN", 100.31, 100.39)


def test_buffered_output_is_detected():
    bursty = parse_stamped_log(_log([5000.0] * 20, step=0.0005))
    with pytest.raises(TegrastatsError, match="bursts"):
        check_cadence(bursty, 50)
    check_cadence(parse_stamped_log(_log([5000.0] * 20, step=0.05)), 50)


@pytest.mark.parametrize(
    "text",
    ["not a stamp RAM 1/2MB", "100.5 segmentation fault", "100.5 VDD_IN 5mW/5"],
)
def test_garbled_logs_fail(text):
    with pytest.raises(TegrastatsError):
        parse_stamped_log(text)


def test_a_last_line_cut_short_is_dropped_but_a_cut_line_inside_fails():
    text = _log([5000.0] * 5)
    cut = text[: text.rindex("VDD_CPU_GPU_CV") + len("VDD_CPU_GPU_CV 5")]
    samples = parse_stamped_log(cut)
    assert len(samples) == 4 and samples[-1].time_s == pytest.approx(100.15)
    lines = text.splitlines()
    inside = "\n".join([lines[0], lines[1][: lines[1].index("VDD_SOC")], *lines[2:]])
    with pytest.raises(TegrastatsError, match="garbled"):
        parse_stamped_log(inside)


def test_nvpmodel_query():
    assert parse_nvpmodel("NV Fan Mode:quiet\nNV Power Mode: 15W\n0\n") == {
        "power_mode": "15W", "power_mode_id": 0}
    assert parse_nvpmodel("NV Power Mode: MAXN\n0") == {"power_mode": "MAXN", "power_mode_id": 0}
    assert parse_nvpmodel("nvpmodel: command not found") == {}


CLOCKS = """SOC family:tegra234  Machine:NVIDIA Jetson Orin Nano Developer Kit
Online CPUs: 0-1
cpu0: Online=1 Governor=schedutil MinFreq={cmin} MaxFreq=1510400 CurrentFreq=1510400 IdleStates: WFI=1 c7=1
cpu1: Online=1 Governor=schedutil MinFreq={cmin} MaxFreq=1510400 CurrentFreq=1510400 IdleStates: WFI=1 c7=1
GPU MinFreq={gmin} MaxFreq=624750000 CurrentFreq=624750000
EMC MinFreq=204000000 MaxFreq=2133000000 CurrentFreq=2133000000 FreqOverride={emc}
NV Power Mode: 15W"""


def test_jetson_clocks_locked_and_not():
    locked = parse_jetson_clocks(CLOCKS.format(cmin=1510400, gmin=624750000, emc=1))
    assert locked["clocks_locked"] is True
    free = parse_jetson_clocks(CLOCKS.format(cmin=729600, gmin=306000000, emc=0))
    assert free == {"clocks_locked": False, "cpu_clocks_locked": False,
                    "gpu_clock_locked": False, "emc_clock_locked": False}
    gpu_only = parse_jetson_clocks(CLOCKS.format(cmin=1510400, gmin=306000000, emc=1))
    assert gpu_only["clocks_locked"] is False and gpu_only["cpu_clocks_locked"] is True


def test_jetson_clocks_unreadable_is_unknown():
    assert parse_jetson_clocks("unavailable") == {"clocks_locked": None}


@pytest.mark.parametrize(
    ("device", "line", "expected_mw"),
    [("jetson-orin-nano", ORIN_NANO, 4755.0), ("jetson-agx-orin", AGX_ORIN, 2340.0 + 390 + 4025),
     ("jetson-tx2", TX2, 3140.0)],
)
def test_catalog_board_rails_exist_in_each_boards_output(device, line, expected_mw):
    from hwnas.devices import get_device

    rail = get_device(device).properties["board_rail"]
    assert rail_power_mw(PowerSample(0.0, parse_rails(line)), rail) == expected_mw


# --- placing trtexec's timed window in board time -------------------------------------------
def _stamped_run(start_line_at: float):
    lines = ["&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec",
             "[11/26/2026-01:02:03] [I] Starting inference",
             "[11/26/2026-01:02:06] [I] Warmup completed 10 queries over 200 ms",
             "[11/26/2026-01:02:06] [I] Timing trace has 2000 queries over 3 s"]
    stamps = [100.0, start_line_at, 103.3, 103.3]
    return stamps, lines


def test_the_timed_window_ends_at_the_first_report_line():
    from hwnas.profilers._tegrastats import timed_window

    stamps, lines = _stamped_run(100.1)
    marks = {"idle_end": 99.5, "trtexec_start": 99.9, "trtexec_end": 103.5}
    assert timed_window(stamps, lines, 3.0, marks) == pytest.approx((100.3, 103.3))


def test_buffered_trtexec_output_cannot_place_the_window():
    from hwnas.profilers._tegrastats import timed_window

    stamps, lines = _stamped_run(103.29)  # every line arrived at the end: buffered
    marks = {"idle_end": 99.5, "trtexec_start": 99.9, "trtexec_end": 103.5}
    with pytest.raises(TegrastatsError, match="buffered"):
        timed_window(stamps, lines, 3.0, marks)
    with pytest.raises(TegrastatsError, match="inside the trtexec run"):
        timed_window(*_stamped_run(100.1), 5.0, marks)  # a walltime longer than the run


def test_temperatures_and_gpu_clock_are_read_and_sensors_off_are_skipped():
    from hwnas.profilers._tegrastats import parse_thermal

    temperatures, clock = parse_thermal(AGX_ORIN.replace("CPU@44.562C", "CPU@44.562C CV0@-256C"))
    assert temperatures == {"CPU": 44.562, "Tboard": 32.0} and clock == 0.0
    temperatures, clock = parse_thermal(ORIN_NANO)
    assert temperatures["tj"] == 47.75 and clock == 305.0
    assert parse_thermal(TX2)[1] is None  # "GR3D_FREQ 0%": no clock without root
    assert parse_thermal(TX2.replace("GR3D_FREQ 0%", "GR3D_FREQ 12%@1300"))[1] == 1300.0


def test_the_board_helper_ships_as_package_data_and_parses_as_bash():
    import shutil
    import subprocess

    from hwnas.profilers._tensorrt_remote import helper_script

    script = helper_script()
    assert script.startswith(b"# hwnas Jetson helper")
    assert b'mode=$1; dir=$2; tools=$3' in script
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr.decode()
