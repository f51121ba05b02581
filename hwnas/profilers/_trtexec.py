"""trtexec: the fixed flag set hwnas runs, and parsers for its output (TensorRT 7, 8, 10).

TensorRT 8 and 10 end a timing run with a `=== Performance summary ===` block::

    Throughput: 1082.8 qps
    Latency: min = 0.91 ms, max = 1.52 ms, mean = 0.92 ms, median = 0.92 ms, percentile(99%) = ...
    GPU Compute Time: min = ..., percentile(90%) = ..., percentile(95%) = ..., percentile(99%) = ...
    Total Host Walltime: 3.00293 s

(8.6 and later print several percentiles when asked, earlier releases one). TensorRT 7
prints sections instead::

    Host Latency
    min: 1.64 ms (end to end 1.66 ms)
    ...
    percentile: 1.67 ms at 99% (end to end 3.04 ms at 99%)
    throughput: 0 qps
    walltime: 3.00461 s
    GPU Compute
    min: 1.55 ms
    ...

Anything else (a failed build, a truncated log, garbled numbers) raises
TrtexecOutputError with the reason: a measurement is complete or it is not returned.
Per-inference samples come from `--exportTimes` (JSON); its mean is checked against
the summary so that the two can never silently disagree.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.core import ConfigError
from hwnas.profilers._base import ProfilingError
from hwnas.profilers._stats import percentile

_PREFIX = re.compile(r"^\s*(?:\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]\s*)?(?:\[[IWEVF]\]\s*)?")
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf|nan)"
_BANNER = re.compile(r"&&&& RUNNING TensorRT\.trtexec(?: \[TensorRT v(\d+)\])?")
_STAT = re.compile(r"(min|max|mean|median) = " + _NUMBER + " ms")
_PERCENTILE = re.compile(r"percentile\(" + _NUMBER + r"%\) = " + _NUMBER + " ms")
_SECTIONS_7 = {"Host Latency": "latency", "GPU Compute": "gpu_compute", "Enqueue Time": "enqueue"}
# The first line trtexec prints once its timing loop ends (the energy window ends there).
REPORT_START = re.compile(
    r"^(?:Warmup completed|Timing trace has|=== Trace details ===|Trace averages of"
    r"|Average on \d+ runs|Host Latency$|=== Performance summary ===)"
)


class TrtexecOutputError(ProfilingError):
    """trtexec failed, or printed something hwnas does not recognise."""


@dataclass(frozen=True)
class TrtVersion:
    """TensorRT release from trtexec's banner; TensorRT 7 prints none (major 7, rest unknown)."""

    major: int
    minor: int | None = None
    patch: int | None = None

    def __str__(self) -> str:
        if self.minor is None:
            return f"{self.major}.x"
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def multi_percentiles(self) -> bool:
        """`--percentile=90,95,99` arrived in TensorRT 8.6."""
        return (self.major, self.minor or 0) >= (8, 6)

    @property
    def has_no_tf32(self) -> bool:
        """TF32 (on by default on Ampere) and `--noTF32` arrived in TensorRT 8."""
        return self.major >= 8


def parse_version(text: str) -> TrtVersion:
    """The TensorRT version in trtexec's `&&&& RUNNING` banner."""
    match = _BANNER.search(text)
    if not match:
        raise TrtexecOutputError(
            "no `&&&& RUNNING TensorRT.trtexec` banner in the output: the configured trtexec "
            f"is not TensorRT's (first line: {_first_line(text)!r}); set properties.trtexec "
            "of the device to /usr/src/tensorrt/bin/trtexec"
        )
    if match.group(1) is None:
        return TrtVersion(7)
    number = int(match.group(1))
    if number >= 100000:  # 10.3.0 -> 100300
        return TrtVersion(number // 10000, number // 100 % 100, number % 100)
    return TrtVersion(number // 1000, number // 100 % 10, number % 100)  # 8.5.2 -> 8502


@dataclass(frozen=True)
class TimingStats:
    """One trtexec metric over the timed queries, in ms."""

    min_ms: float
    max_ms: float
    mean_ms: float
    median_ms: float
    percentiles_ms: Mapping[str, float] = field(default_factory=dict)  # "99" -> ms


@dataclass(frozen=True)
class TrtexecReport:
    """What one trtexec timing run printed."""

    version: TrtVersion
    latency: TimingStats  # host latency: H2D + GPU compute + D2H per query
    gpu_compute: TimingStats
    walltime_s: float
    throughput_qps: float | None  # None where TensorRT 7 printed 0 (explicit batch)
    queries: int | None  # "Timing trace has N queries" (TensorRT 8+)


def _strip(line: str) -> str:
    return _PREFIX.sub("", line, count=1).strip()


def _number(text: str, what: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise TrtexecOutputError(f"trtexec printed an impossible {what}: {text}")
    return value


def _stats(found: Mapping[str, float], percentiles: Mapping[str, float], what: str) -> TimingStats:
    missing = [k for k in ("min", "max", "mean", "median") if k not in found]
    if missing:
        raise TrtexecOutputError(
            f"trtexec {what} is missing {', '.join(missing)} (garbled output?)"
        )
    stats = TimingStats(
        found["min"], found["max"], found["mean"], found["median"], dict(percentiles)
    )
    ordered = stats.min_ms <= stats.median_ms <= stats.max_ms and \
        stats.min_ms <= stats.mean_ms <= stats.max_ms and \
        all(stats.min_ms <= v <= stats.max_ms for v in percentiles.values())
    if not ordered:
        raise TrtexecOutputError(
            f"trtexec {what} figures are out of order (garbled output?): {stats}"
        )
    return stats


def _summary_line(text: str, what: str) -> TimingStats:
    found = {key: _number(value, what) for key, value in _STAT.findall(text)}
    percentiles = {_pct(p): _number(v, what) for p, v in _PERCENTILE.findall(text)}
    return _stats(found, percentiles, what)


def _pct(text: str) -> str:
    return f"{float(text):g}"


def parse_trtexec_output(text: str) -> TrtexecReport:
    """Parse a complete trtexec timing log (TensorRT 7, 8 or 10); raise on anything else."""
    lines = [_strip(line) for line in text.splitlines()]
    if any(line.startswith("&&&& FAILED") for line in lines):
        errors = [raw.strip() for raw in text.splitlines() if "[E]" in raw or "ERROR" in raw]
        raise TrtexecOutputError(
            "trtexec failed on the board: " + (" | ".join(errors[-3:]) or _last_lines(text))
        )
    version = parse_version(text)
    if not any(line.startswith("&&&& PASSED") for line in lines):
        raise TrtexecOutputError(
            "trtexec output is truncated (no `&&&& PASSED` line): the run was cut short or the "
            f"log is incomplete; last lines: {_last_lines(text)}"
        )
    if "=== Performance summary ===" in lines:
        return _parse_summary(lines, version)
    if "Host Latency" in lines:
        return _parse_sections(lines, version)
    raise TrtexecOutputError(
        "unrecognised trtexec output: neither a `=== Performance summary ===` block (TensorRT "
        "8/10) nor a `Host Latency` section (TensorRT 7); was inference skipped? last lines: "
        + _last_lines(text)
    )


def _parse_summary(lines: Sequence[str], version: TrtVersion) -> TrtexecReport:
    start = lines.index("=== Performance summary ===")
    block = {}
    for line in lines[start + 1:]:
        key, _, value = line.partition(":")
        if value and key in ("Throughput", "Latency", "GPU Compute Time", "Total Host Walltime"):
            block.setdefault(key, value.strip())
    missing = [k for k in ("Throughput", "Latency", "GPU Compute Time", "Total Host Walltime")
               if k not in block]
    if missing:
        raise TrtexecOutputError(
            f"trtexec performance summary lacks {', '.join(missing)} (truncated or garbled)"
        )
    throughput = re.fullmatch(_NUMBER + " qps", block["Throughput"])
    walltime = re.fullmatch(_NUMBER + " s", block["Total Host Walltime"])
    if not throughput or not walltime:
        raise TrtexecOutputError(
            f"trtexec summary has unreadable throughput/walltime: {block['Throughput']!r}, "
            f"{block['Total Host Walltime']!r}"
        )
    queries = None
    for line in lines:
        match = re.match(r"Timing trace has (\d+) queries over", line)
        if match:
            queries = int(match.group(1))
    return TrtexecReport(
        version=version,
        latency=_summary_line(block["Latency"], "latency"),
        gpu_compute=_summary_line(block["GPU Compute Time"], "GPU compute time"),
        walltime_s=_number(walltime.group(1), "walltime"),
        throughput_qps=_number(throughput.group(1), "throughput") or None,
        queries=queries,
    )


def _parse_sections(lines: Sequence[str], version: TrtVersion) -> TrtexecReport:
    sections: dict[str, dict[str, float]] = {}
    percentiles: dict[str, dict[str, float]] = {}
    extras: dict[str, float] = {}
    current = None
    for line in lines:
        if line in _SECTIONS_7:
            current = _SECTIONS_7[line]
            sections.setdefault(current, {})
            percentiles.setdefault(current, {})
            continue
        if current is None:
            continue
        stat = re.match(r"(min|max|mean|median): " + _NUMBER + " ms", line)
        pct = re.match(r"percentile: " + _NUMBER + " ms at " + _NUMBER + "%", line)
        other = re.match(
            r"(throughput|walltime|total compute time): " + _NUMBER + r" (qps|s)$", line
        )
        if stat:
            sections[current][stat.group(1)] = _number(stat.group(2), current)
        elif pct:
            percentiles[current][_pct(pct.group(2))] = _number(pct.group(1), current)
        elif other:
            extras[other.group(1)] = _number(other.group(2), other.group(1))
        elif line.startswith("&&&&") or not line:
            current = None
    for needed in ("latency", "gpu_compute"):
        if needed not in sections:
            raise TrtexecOutputError(
                f"TensorRT 7 output lacks its {needed.replace('_', ' ')} section (truncated?)"
            )
    if "walltime" not in extras:
        raise TrtexecOutputError("TensorRT 7 output lacks `walltime:` (truncated or garbled)")
    return TrtexecReport(
        version=version,
        latency=_stats(sections["latency"], percentiles["latency"], "host latency"),
        gpu_compute=_stats(sections["gpu_compute"], percentiles["gpu_compute"], "GPU compute"),
        walltime_s=extras["walltime"],
        throughput_qps=extras.get("throughput") or None,
        queries=None,
    )


def first_report_line(lines: Sequence[str]) -> int | None:
    """Index of the first line trtexec printed after its timing loop (None when absent)."""
    return next((i for i, line in enumerate(lines) if REPORT_START.match(_strip(line))), None)


# --- per-inference samples (--exportTimes) ----------------------------------------------
@dataclass(frozen=True)
class TimedQueries:
    latency_ms: tuple[float, ...]
    gpu_compute_ms: tuple[float, ...]


def parse_export_times(text: str, report: TrtexecReport, warmup_ms: float) -> TimedQueries:
    """Per-query latencies of the timed window from `--exportTimes` JSON.

    TensorRT 8.6+ exports only the timed queries; earlier releases export the warm-up
    too, and trtexec counts a query as warm-up when its compute started before
    `--warmUp` ms. Where the summary gives the count (8+), the last `queries` entries
    are used; otherwise trtexec's own warm-up rule.
    """
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrtexecOutputError(
            f"trtexec --exportTimes file is not JSON ({error}); truncated?"
        ) from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) \
            or not entries:
        raise TrtexecOutputError("trtexec --exportTimes file holds no per-query records")
    try:
        if report.queries is not None:
            if len(entries) < report.queries:
                raise TrtexecOutputError(
                    f"trtexec exported {len(entries)} queries but timed {report.queries}"
                )
            timed = entries[len(entries) - report.queries:]
        else:
            timed = [e for e in entries if float(e["startComputeMs"]) >= warmup_ms]
        latency = tuple(_number(str(e["latencyMs"]), "query latency") for e in timed)
        compute = tuple(_number(str(e["computeMs"]), "query compute time") for e in timed)
    except KeyError as error:
        raise TrtexecOutputError(f"trtexec --exportTimes records lack the field {error}") from None
    except ValueError as error:
        raise TrtexecOutputError(f"trtexec --exportTimes has a bad number: {error}") from None
    if not latency:
        raise TrtexecOutputError("trtexec --exportTimes holds no query after the warm-up")
    mean = sum(latency) / len(latency)
    if not math.isclose(mean, report.latency.mean_ms, rel_tol=0.01, abs_tol=0.002):
        raise TrtexecOutputError(
            f"trtexec's exported per-query latencies (mean {mean:.4f} ms over {len(latency)}) "
            f"disagree with its summary (mean {report.latency.mean_ms:.4f} ms)"
        )
    return TimedQueries(latency, compute)


# --- the flag set -----------------------------------------------------------------------
def trtexec_flags(
    version: TrtVersion,
    precision: str,
    model_path: str | None,
    engine_path: str,
    export_path: str,
    warmup_ms: int,
    duration_s: int,
    iterations: int,
    shapes: str | None = None,
    calibration_cache: str | None = None,
) -> list[str]:
    """The fixed, documented trtexec flags (see docs/jetson.md for why each is there).

    With `model_path` the engine is built from ONNX and saved to `engine_path`;
    without, the saved engine is loaded.
    """
    if precision not in ("fp32", "fp16", "int8"):
        raise ConfigError(f"precision must be fp32, fp16 or int8, got {precision!r}")
    if model_path is not None:
        flags = [f"--onnx={model_path}", f"--saveEngine={engine_path}"]
        if precision == "fp16":
            flags.append("--fp16")
        elif precision == "int8":
            flags.append("--int8")
            if calibration_cache:
                flags.append(f"--calib={calibration_cache}")
        elif version.has_no_tf32:
            flags.append("--noTF32")
        if shapes:
            flags.append(f"--shapes={shapes}")
    else:
        flags = [f"--loadEngine={engine_path}"]
        if shapes:
            flags.append(f"--shapes={shapes}")
    flags += [
        f"--warmUp={int(warmup_ms)}",
        f"--duration={int(duration_s)}",
        f"--iterations={int(iterations)}",
        "--useCudaGraph",
        "--percentile=90,95,99" if version.multi_percentiles else "--percentile=99",
        f"--exportTimes={export_path}",
    ]
    return flags


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no output)"


# --- the board's stamped log, and what a measurement records of it ---------------------
def parse_stamped_trtexec_log(text: str) -> tuple[list[float], list[str]]:
    """(board times, lines) of trtexec's log, each line stamped `<epoch seconds> <line>`."""
    stamps, lines = [], []
    for raw in text.split("\n"):
        if not raw:
            continue
        stamp, _, line = raw.partition(" ")
        try:
            stamps.append(float(stamp.replace(",", ".")))
        except ValueError:
            raise ProfilingError(f"unstamped trtexec log line: {raw[:120]!r}") from None
        lines.append(line)
    return stamps, lines


def latency_percentiles_ms(values: list[float]) -> dict[str, float]:
    """min, p50, p90, p95, p99, max and mean of per-query latencies (ms)."""
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def report_summary(report: TrtexecReport, queries: int) -> dict[str, Any]:
    """trtexec's own summary as plain data, for a measurement's environment."""
    return {
        "version": str(report.version),
        "latency_ms": dataclasses.asdict(report.latency),
        "gpu_compute_ms": dataclasses.asdict(report.gpu_compute),
        "throughput_qps": report.throughput_qps,
        "walltime_s": report.walltime_s,
        "queries": queries,
    }
