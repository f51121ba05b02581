"""Jetson power and clock readings: tegrastats rails, nvpmodel mode, jetson_clocks state.

tegrastats prints one line per interval. Power rails appear as `NAME current/average`,
in mW: Orin (JetPack 5/6) writes the unit (`VDD_IN 4755mW/4755mW`), older boards
(JetPack 4: TX2, Nano, Xavier) do not (`VDD_IN 3140/3208`, `POM_5V_IN 2129/2129`).
hwnas stamps each line with the board's clock as it arrives (tegrastats' own time stamp,
where printed, has one-second resolution), so a line in the log reads
`<epoch seconds> <tegrastats line>`.

The board's input rail (`properties.board_rail` in the catalog) is integrated over a
time window: the time-weighted mean power of the samples inside the window (trapezoid
rule) times the window's length. A rail may be a sum (`VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0`
on AGX Orin, which has no single input rail).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.core import DeviceError
from hwnas.profilers._base import ProfilingError
from hwnas.profilers._ssh import RemoteError
from hwnas.profilers._trtexec import TrtexecOutputError, first_report_line

_RAIL = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*) (\d+(?:\.\d+)?)(mW)?/(\d+(?:\.\d+)?)(mW)?(?=\s|$)")
_STAMPED = re.compile(r"^(\d+(?:[.,]\d+)?) (.*)$")
_TEMPERATURE = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C(?=\s|$)")
_GPU_CLOCK = re.compile(r"GR3D_FREQ \d+%@\[?([\d,]+)\]?")


class TegrastatsError(DeviceError):
    """tegrastats output is missing, garbled or too sparse for the measured window."""


@dataclass(frozen=True)
class PowerSample:
    """One tegrastats line: board time in s, each rail's instantaneous power in mW, and
    what could bias a figure: temperatures (C) and the GPU clock (MHz) where printed."""

    time_s: float
    rails_mw: Mapping[str, float]
    temperatures_c: Mapping[str, float] = field(default_factory=dict)
    gpu_clock_mhz: float | None = None


def parse_thermal(line: str) -> tuple[dict[str, float], float | None]:
    """Temperatures (`GPU@46.5C`; -256 means the sensor is off) and the GPU clock
    (`GR3D_FREQ 12%@[305]` on Orin, `GR3D_FREQ 12%@1300` on older boards)."""
    temperatures = {
        name: float(value) for name, value in _TEMPERATURE.findall(line) if float(value) > -200
    }
    clock = _GPU_CLOCK.search(line)
    mhz = max(float(v) for v in clock.group(1).split(",")) if clock else None
    return temperatures, mhz


def parse_rails(line: str) -> dict[str, float]:
    """Instantaneous power (mW) of every rail on one tegrastats line ({} when none)."""
    rails = {}
    for name, current, unit_a, _average, unit_b in _RAIL.findall(line):
        if bool(unit_a) != bool(unit_b):
            raise TegrastatsError(f"tegrastats rail {name} mixes units: {line.strip()!r}")
        rails[name] = float(current)
    return rails


def parse_stamped_log(text: str) -> list[PowerSample]:
    """Samples from a log of `<epoch s> <tegrastats line>` lines.

    Every line must carry the same rails; only the last line may be cut short (tegrastats
    stopped mid-write), and then it is dropped. Anything else fails as garbled.
    """
    raw_lines = [line.strip() for line in text.splitlines() if line.strip()]
    samples: list[PowerSample] = []
    for number, line in enumerate(raw_lines, 1):
        match = _STAMPED.match(line)
        if not match:
            raise TegrastatsError(f"tegrastats log line {number} has no time stamp: {line[:120]!r}")
        body = match.group(2)
        rails = parse_rails(body)
        if not rails and not ("RAM " in body or "CPU [" in body):
            raise TegrastatsError(
                f"tegrastats log line {number} is not tegrastats output: {body[:120]!r}"
            )
        if samples and set(rails) != set(samples[0].rails_mw):
            if number == len(raw_lines) and set(rails) < set(samples[0].rails_mw):
                break  # the last line was cut short when tegrastats was stopped
            raise TegrastatsError(
                f"tegrastats log line {number} has rails {sorted(rails)} but earlier lines "
                f"{sorted(samples[0].rails_mw)} (garbled output)"
            )
        if rails:
            temperatures, gpu_clock = parse_thermal(body)
            samples.append(PowerSample(float(match.group(1).replace(",", ".")), rails,
                                       temperatures, gpu_clock))
    return samples


def rail_power_mw(sample: PowerSample, rail: str) -> float:
    """Power of `rail` (or of a `+`-joined sum of rails) in one sample."""
    total = 0.0
    for name in (part.strip() for part in rail.split("+")):
        if name not in sample.rails_mw:
            raise TegrastatsError(
                f"rail {name!r} is not in this board's tegrastats output (rails: "
                f"{', '.join(sorted(sample.rails_mw)) or 'none'}); set properties.board_rail "
                "of the device in your catalog to the board's input rail (VDD_IN on Orin "
                "Nano/NX and TX2, POM_5V_IN on Nano, a sum such as "
                "VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0 on AGX Orin)"
            )
        total += sample.rails_mw[name]
    return total


def check_cadence(samples: Sequence[PowerSample], interval_ms: float) -> None:
    """Fail when lines arrived in bursts (output buffered), which would misplace them in time."""
    if len(samples) < 4:
        return
    gaps = [b.time_s - a.time_s for a, b in zip(samples, samples[1:], strict=False)]
    median_gap_ms = statistics.median(gaps) * 1000.0
    if median_gap_ms < 0.3 * interval_ms:
        raise TegrastatsError(
            f"tegrastats lines arrived in bursts (median gap {median_gap_ms:.1f} ms for a "
            f"{interval_ms:.0f} ms interval): its output is buffered; install coreutils' "
            "`stdbuf` on the board so that hwnas can make it line-buffered"
        )


@dataclass(frozen=True)
class WindowEnergy:
    """Energy of `rail` over [start_s, end_s]: mean power in mW times the window in s."""

    rail: str
    start_s: float
    end_s: float
    samples: int
    mean_power_mw: float

    @property
    def window_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def energy_mj(self) -> float:
        return self.mean_power_mw * self.window_s  # mW x s = mJ


def window_energy(
    samples: Sequence[PowerSample], rail: str, start_s: float, end_s: float, min_samples: int = 2
) -> WindowEnergy:
    """Integrate `rail` over [start_s, end_s] (time-weighted mean of the samples inside)."""
    if end_s <= start_s:
        raise TegrastatsError(f"empty energy window ({start_s:.3f} s to {end_s:.3f} s)")
    inside = [s for s in samples if start_s <= s.time_s <= end_s]
    if len(inside) < min_samples:
        raise TegrastatsError(
            f"the {end_s - start_s:.2f} s window held {len(inside)} tegrastats sample(s), fewer "
            f"than {min_samples}; measure longer (duration_s) or sample faster "
            "(tegrastats_interval_ms)"
        )
    powers = [rail_power_mw(s, rail) for s in inside]
    if len(inside) == 1:
        mean = powers[0]
    else:
        area = 0.0
        for (a, pa), (b, pb) in zip(
            zip(inside, powers, strict=True), zip(inside[1:], powers[1:], strict=True), strict=False
        ):
            area += (b.time_s - a.time_s) * (pa + pb) / 2.0
        span = inside[-1].time_s - inside[0].time_s
        mean = area / span if span > 0 else statistics.fmean(powers)
    return WindowEnergy(rail, start_s, end_s, len(inside), mean)


def inference_energy(
    samples: Sequence[PowerSample],
    rail: str,
    start_s: float,
    end_s: float,
    idle_end_s: float,
    queries: int,
    batch_size: int,
    interval_ms: float,
) -> dict[str, Any]:
    """Energy per inference (per query of `batch_size`) over trtexec's timed window.

    `idle_energy_mj` is the mean power of the samples before `idle_end_s` (the idle
    baseline) times the same time per inference, so `energy_mj - idle_energy_mj` is what
    the inference added.
    """
    active = window_energy(samples, rail, start_s, end_s)
    idle_samples = [s for s in samples if s.time_s <= idle_end_s]
    if len(idle_samples) < 2:
        raise TegrastatsError(
            f"the idle baseline held {len(idle_samples)} tegrastats sample(s); raise idle_s"
        )
    idle_power_mw = sum(rail_power_mw(s, rail) for s in idle_samples) / len(idle_samples)
    energy_mj = active.energy_mj / queries
    idle_energy_mj = idle_power_mw * active.window_s / queries
    return {
        "rail": rail,
        "energy_mj": energy_mj,
        "idle_energy_mj": idle_energy_mj,
        "dynamic_energy_mj": energy_mj - idle_energy_mj,
        "active_power_mw": active.mean_power_mw,
        "idle_power_mw": idle_power_mw,
        "window_s": active.window_s,
        "window_samples": active.samples,
        "idle_samples": len(idle_samples),
        "queries": queries,
        "energy_per_input_mj": energy_mj / batch_size,
        "tegrastats_interval_ms": interval_ms,
    }


# --- nvpmodel and jetson_clocks ---------------------------------------------------------
_POWER_MODE = re.compile(r"NV Power Mode:\s*(\S.*?)\s*$", re.MULTILINE)
_FREQS = re.compile(r"MinFreq=(\d+)\s+MaxFreq=(\d+)\s+CurrentFreq=(\d+)")


def parse_nvpmodel(text: str) -> dict[str, object]:
    """`nvpmodel -q`: {"power_mode": "MAXN", "power_mode_id": 0}; {} when unrecognised."""
    match = _POWER_MODE.search(text)
    if not match:
        return {}
    out: dict[str, object] = {"power_mode": match.group(1)}
    after = text[match.end():].split()
    if after and after[0].isdigit():
        out["power_mode_id"] = int(after[0])
    return out


def parse_jetson_clocks(text: str) -> dict[str, object]:
    """`jetson_clocks --show`: whether CPU, GPU and memory clocks are pinned at their maximum.

    Locked means every online CPU and the GPU run with MinFreq == MaxFreq and the EMC
    (memory) clock is overridden, which is what `sudo jetson_clocks` sets.
    `clocks_locked` is None when the output is not recognised.
    """
    cpus: list[bool] = []
    gpu: bool | None = None
    emc: bool | None = None
    for line in text.splitlines():
        line = line.strip()
        freqs = _FREQS.search(line)
        if re.match(r"cpu\d+:", line) and "Online=1" in line and freqs:
            cpus.append(freqs.group(1) == freqs.group(2))
        elif line.startswith("GPU ") and freqs:
            gpu = freqs.group(1) == freqs.group(2)
        elif line.startswith("EMC ") and freqs:
            override = re.search(r"FreqOverride=(\d)", line)
            emc = override.group(1) == "1" if override else freqs.group(1) == freqs.group(2)
    if not cpus or gpu is None:
        return {"clocks_locked": None}
    parts = {"cpu_clocks_locked": all(cpus), "gpu_clock_locked": gpu}
    if emc is not None:
        parts["emc_clock_locked"] = emc
    return {"clocks_locked": all(parts.values()), **parts}


def window_conditions(samples: Sequence[PowerSample], start_s: float, end_s: float) -> dict:
    """Hottest reading per sensor and the GPU clock range inside [start_s, end_s]."""
    inside = [s for s in samples if start_s <= s.time_s <= end_s]
    hottest: dict[str, float] = {}
    for sample in inside:
        for name, value in sample.temperatures_c.items():
            hottest[name] = max(value, hottest.get(name, value))
    clocks = [s.gpu_clock_mhz for s in inside if s.gpu_clock_mhz is not None]
    out: dict[str, object] = {"max_temperature_c": hottest}
    if clocks:
        out["gpu_clock_mhz_min"] = min(clocks)
        out["gpu_clock_mhz_max"] = max(clocks)
    return out


# --- what the board's helper script prints (hwnas/profilers/jetson_helper.sh) ----------
def parse_probe_sections(text: str) -> dict[str, str]:
    """The helper's probe output (`== trtexec`, `== nvpmodel`, ... `== end`) by section."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    if "end" not in out:
        raise RemoteError(f"the board's probe output is incomplete: {text[-200:]!r}")
    return {key: "\n".join(value) for key, value in out.items()}


def parse_helper_marks(text: str) -> dict[str, float]:
    """The helper's `marks` file: board times of idle_end, trtexec_start/_end, and trtexec_rc."""
    marks = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        try:
            marks[key] = float(value.replace(",", "."))
        except ValueError:
            raise ProfilingError(f"garbled helper mark on the board: {line!r}") from None
    if "trtexec_end" not in marks:
        raise ProfilingError("the run on the board did not finish (no end mark): incomplete result")
    return marks


def timed_window(
    stamps: list[float], lines: list[str], walltime_s: float, marks: dict[str, float]
) -> tuple[float, float]:
    """(start, end) of trtexec's timing loop in board time, from its stamped log.

    It ends when trtexec prints its first report line and lasts `walltime_s`. If the
    `Starting inference` line arrived well after that start, trtexec's output was
    buffered and the stamps say nothing about timing: fail rather than integrate the
    wrong window.
    """
    index = first_report_line(lines)
    if index is None:
        raise TrtexecOutputError("cannot place the timed window: no report line in trtexec's log")
    end = stamps[index]
    start = end - walltime_s
    if "idle_end" not in marks or start < marks.get("trtexec_start", -math.inf):
        raise TegrastatsError(
            "the timed window does not fall inside the trtexec run (clock stamps garbled?)"
        )
    started = next((i for i, line in enumerate(lines[:index])
                    if _strip_log_prefix(line).startswith("Starting inference")), None)
    # Fully buffered output arrives at the end; half the window leaves room for a busy board.
    if started is not None and stamps[started] > start + walltime_s / 2:
        raise TegrastatsError(
            "trtexec's output reached the board's log late (it was buffered), so the timed "
            "window cannot be placed; install coreutils' stdbuf on the board"
        )
    return start, end


def _strip_log_prefix(line: str) -> str:
    return re.sub(r"^\s*(?:\[[^\]]*\]\s*)*", "", line)


def clock_drift_warning(conditions: Mapping[str, Any], device_name: str) -> str | None:
    """A warning when the GPU clock moved more than 5% inside the timed window, else None."""
    low, high = conditions.get("gpu_clock_mhz_min"), conditions.get("gpu_clock_mhz_max")
    if low is not None and high is not None and high > 0 and (high - low) / high > 0.05:
        return (
            f"the GPU clock of {device_name} moved between {low:.0f} and {high:.0f} "
            "MHz during the timed window (DVFS or thermal throttling): lock the clocks "
            "with `sudo jetson_clocks` and let the board cool"
        )
    return None
