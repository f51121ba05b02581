"""trtexec flag set and output parsers: TensorRT 7, 8 and 10 formats, truncated and garbled logs.

Logs come from two places: hand-written blocks in the layout real trtexec releases print
(numbers chosen here so the expected values are known), and the STAND-IN trtexec
(`standins/trtexec.py`) run locally for each release.
"""
# ruff: noqa: E501  (log lines are as long as the tools print them)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hwnas.profilers._trtexec import (
    TrtexecOutputError,
    TrtVersion,
    first_report_line,
    parse_export_times,
    parse_trtexec_output,
    parse_version,
    trtexec_flags,
)

STANDIN = Path(__file__).parent / "standins" / "trtexec.py"
P = "[11/26/2026-01:02:03] [I] "

TRT7 = f"""&&&& RUNNING TensorRT.trtexec # /usr/src/tensorrt/bin/trtexec --onnx=m.onnx
{P}Starting inference threads
{P}Average on 10 runs - GPU latency: 3.05 ms - Host latency: 3.58 ms (end to end 6.07 ms, enqueue 0.53 ms)
{P}Host Latency
{P}min: 3.5 ms (end to end 3.6 ms)
{P}max: 6.25 ms (end to end 7.5 ms)
{P}mean: 3.625 ms (end to end 6 ms)
{P}median: 3.6 ms (end to end 6.01 ms)
{P}percentile: 4.125 ms at 99% (end to end 6.5 ms at 99%)
{P}throughput: 0 qps
{P}walltime: 3.00461 s
{P}Enqueue Time
{P}min: 0.5 ms
{P}max: 0.75 ms
{P}median: 0.53 ms
{P}GPU Compute
{P}min: 3 ms
{P}max: 6 ms
{P}mean: 3.0625 ms
{P}median: 3.05 ms
{P}percentile: 3.5 ms at 99%
{P}total compute time: 2.875 s
&&&& PASSED TensorRT.trtexec # /usr/src/tensorrt/bin/trtexec --onnx=m.onnx
"""

TRT80 = f"""&&&& RUNNING TensorRT.trtexec [TensorRT v8001] # trtexec --onnx=m.onnx
{P}Warmup completed 120 queries over 200 ms
{P}Timing trace has 1875 queries over 3.0013 s
{P}=== Trace details ===
{P}Average on 10 runs - GPU latency: 1.5 ms - Host latency: 1.6 ms (end to end 1.6 ms, enqueue 0.1 ms)
{P}
{P}=== Performance summary ===
{P}Throughput: 624.7 qps
{P}Latency: min = 1.25 ms, max = 2.5 ms, mean = 1.6 ms, median = 1.59375 ms, percentile(99%) = 1.875 ms
{P}End-to-End Host Latency: min = 1.25 ms, max = 3 ms, mean = 1.7 ms, median = 1.6 ms, percentile(99%) = 2 ms
{P}Enqueue Time: min = 0.0625 ms, max = 0.25 ms, mean = 0.1 ms, median = 0.1 ms, percentile(99%) = 0.2 ms
{P}H2D Latency: min = 0 ms, max = 0 ms, mean = 0 ms, median = 0 ms, percentile(99%) = 0 ms
{P}GPU Compute Time: min = 1.125 ms, max = 2.25 ms, mean = 1.5 ms, median = 1.5 ms, percentile(99%) = 1.75 ms
{P}D2H Latency: min = 0 ms, max = 0 ms, mean = 0 ms, median = 0 ms, percentile(99%) = 0 ms
{P}Total Host Walltime: 3.0013 s
{P}Total GPU Compute Time: 2.8125 s
[11/26/2026-01:02:03] [W] * GPU compute time is unstable, with coefficient of variance = 2.1%.
{P}Explanations of the performance metrics are printed in the verbose logs.
&&&& PASSED TensorRT.trtexec [TensorRT v8001] # trtexec --onnx=m.onnx
"""

TRT10 = f"""&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx
{P}Warmup completed 50 queries over 200 ms
{P}Timing trace has 2000 queries over 3.00082 s
{P}=== Performance summary ===
{P}Throughput: 666.5 qps
{P}Latency: min = 1.25 ms, max = 4.5 ms, mean = 1.5 ms, median = 1.4375 ms, percentile(90%) = 1.75 ms, percentile(95%) = 2 ms, percentile(99%) = 2.5 ms
{P}Enqueue Time: min = 0.25 ms, max = 0.5 ms, mean = 0.3 ms, median = 0.3 ms, percentile(90%) = 0.4 ms, percentile(95%) = 0.45 ms, percentile(99%) = 0.5 ms
{P}H2D Latency: min = 0.0065918 ms, max = 0.0698242 ms, mean = 0.0122212 ms, median = 0.00814819 ms, percentile(90%) = 0.0253906 ms, percentile(95%) = 0.0270996 ms, percentile(99%) = 0.0515137 ms
{P}GPU Compute Time: min = 1.125 ms, max = 4.25 ms, mean = 1.375 ms, median = 1.3125 ms, percentile(90%) = 1.625 ms, percentile(95%) = 1.875 ms, percentile(99%) = 2.375 ms
{P}D2H Latency: min = 0.00390625 ms, max = 0.110596 ms, mean = 0.0100141 ms, median = 0.00439453 ms, percentile(90%) = 0.0254517 ms, percentile(95%) = 0.0319824 ms, percentile(99%) = 0.0994873 ms
{P}Total Host Walltime: 3.00082 s
{P}Total GPU Compute Time: 2.75 s
{P}Explanations of the performance metrics are printed in the verbose logs.
&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx
"""


def test_trt7_sections_are_parsed():
    report = parse_trtexec_output(TRT7)
    assert str(report.version) == "7.x"
    assert (report.latency.min_ms, report.latency.max_ms) == (3.5, 6.25)
    assert (report.latency.mean_ms, report.latency.median_ms) == (3.625, 3.6)
    assert report.latency.percentiles_ms == {"99": 4.125}
    assert report.gpu_compute.mean_ms == 3.0625 and report.gpu_compute.percentiles_ms == {"99": 3.5}
    assert report.walltime_s == 3.00461
    assert report.throughput_qps is None  # TensorRT 7 prints 0 qps for explicit-batch models
    assert report.queries is None


def test_trt8_summary_with_one_percentile_and_end_to_end_line():
    report = parse_trtexec_output(TRT80)
    assert str(report.version) == "8.0.1"
    assert report.latency.median_ms == 1.59375 and report.latency.percentiles_ms == {"99": 1.875}
    assert report.gpu_compute.min_ms == 1.125 and report.gpu_compute.max_ms == 2.25
    assert report.throughput_qps == 624.7 and report.walltime_s == 3.0013
    assert report.queries == 1875


def test_trt10_summary_with_three_percentiles():
    report = parse_trtexec_output(TRT10)
    assert str(report.version) == "10.3.0"
    assert report.latency.percentiles_ms == {"90": 1.75, "95": 2.0, "99": 2.5}
    assert report.gpu_compute.percentiles_ms == {"90": 1.625, "95": 1.875, "99": 2.375}
    assert report.queries == 2000 and report.walltime_s == 3.00082


@pytest.mark.parametrize("text", [TRT7, TRT80, TRT10], ids=["trt7", "trt8", "trt10"])
def test_report_line_is_the_first_line_after_the_timing_loop(text):
    lines = text.splitlines()
    index = first_report_line(lines)
    assert index is not None
    assert all(first_report_line(lines[:i]) is None for i in range(index + 1))
    assert "Starting inference" not in lines[index]


@pytest.mark.parametrize("text", [TRT7, TRT80, TRT10], ids=["trt7", "trt8", "trt10"])
def test_truncated_logs_fail_loudly(text):
    lines = text.splitlines()
    for cut in range(1, len(lines)):  # every prefix of the log is incomplete
        with pytest.raises(TrtexecOutputError):
            parse_trtexec_output("\n".join(lines[:cut]))


@pytest.mark.parametrize("text", [TRT7, TRT80, TRT10], ids=["trt7", "trt8", "trt10"])
def test_a_log_cut_before_the_end_line_says_truncated(text):
    cut = text[: text.index("&&&& PASSED")]
    with pytest.raises(TrtexecOutputError, match="truncated"):
        parse_trtexec_output(cut)


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        (TRT10, "median = 1.4375 ms", "median = 1.4x375 ms"),  # unreadable number
        (TRT10, "min = 1.25 ms, max = 4.5 ms", "min = 9.25 ms, max = 4.5 ms"),  # min > max
        (TRT10, "Total Host Walltime: 3.00082 s", "Total Host Walltime: three s"),
        (TRT80, "GPU Compute Time: min", "GPU Compute Tim: min"),  # missing metric line
        (TRT7, "walltime: 3.00461 s", "waltime: 3.00461 s"),
        (TRT7, "median: 3.05 ms", "median: -3.05 ms"),
        (TRT7, "GPU Compute\n", "GPU Kompute\n"),
    ],
)
def test_garbled_logs_fail_loudly(text, old, new):
    assert old in text
    with pytest.raises(TrtexecOutputError):
        parse_trtexec_output(text.replace(old, new))


def test_failed_run_reports_the_error_lines():
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v8502] # trtexec --onnx=m.onnx --int8\n"
        f"{P}Start parsing network model\n"
        "[11/26/2026-01:02:03] [E] [TRT] ModelImporter.cpp:726: ERROR: unsupported op Foo\n"
        "&&&& FAILED TensorRT.trtexec [TensorRT v8502] # trtexec --onnx=m.onnx --int8\n"
    )
    with pytest.raises(TrtexecOutputError, match="unsupported op Foo"):
        parse_trtexec_output(text)


def test_a_passed_run_without_timing_is_not_recognised():
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=m.onnx --skipInference\n"
        f"{P}Engine built in 1.2 sec.\n"
        "&&&& PASSED TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=m.onnx --skipInference\n"
    )
    with pytest.raises(TrtexecOutputError, match="unrecognised"):
        parse_trtexec_output(text)


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        ("[TensorRT v8502]", "8.5.2"),
        ("[TensorRT v8601]", "8.6.1"),
        ("[TensorRT v100300]", "10.3.0"),
        ("[TensorRT v101100]", "10.11.0"),
        ("", "7.x"),
    ],
)
def test_versions_from_the_banner(banner, expected):
    text = f"&&&& RUNNING TensorRT.trtexec {banner} # trtexec --help".replace("  ", " ")
    assert str(parse_version(text)) == expected


def test_output_of_another_program_is_rejected():
    with pytest.raises(TrtexecOutputError, match="not TensorRT"):
        parse_version("Usage: trtexec-wrapper [options]\n")


def test_flags_follow_the_release():
    seven, eight, ten = TrtVersion(7), TrtVersion(8, 5, 2), TrtVersion(10, 3, 0)
    common = dict(engine_path="e", export_path="t.json", warmup_ms=500, duration_s=3, iterations=20)
    f7 = trtexec_flags(seven, "fp32", "m.onnx", **common)
    f8 = trtexec_flags(eight, "fp32", "m.onnx", **common)
    f10 = trtexec_flags(ten, "fp16", None, **common)
    assert "--percentile=99" in f7 and "--noTF32" not in f7
    assert "--percentile=99" in f8 and "--noTF32" in f8
    assert "--percentile=90,95,99" in f10 and "--loadEngine=e" in f10 and "--fp16" not in f10
    for flags in (f7, f8, f10):
        assert {"--useCudaGraph", "--warmUp=500", "--duration=3", "--iterations=20",
                "--exportTimes=t.json"} <= set(flags)
    int8 = trtexec_flags(ten, "int8", "m.onnx", calibration_cache="c.cache", **common)
    assert "--int8" in int8 and "--calib=c.cache" in int8


# --- against the stand-in trtexec, run here ------------------------------------------------
def run_standin(tmp_path: Path, trt: str, board: str, argv: list[str]):
    env = dict(os.environ, STANDIN_TRT=trt, STANDIN_BOARD=board, STANDIN_STATE=str(tmp_path / "s"))
    return subprocess.run([sys.executable, str(STANDIN), *argv], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


@pytest.mark.parametrize(("trt", "board"), [("7.1.3", "tx2"), ("8.5.2", "orin"),
                                            ("10.3.0", "orin")])
def test_standin_logs_and_exported_times_parse_and_agree(tmp_path, trt, board):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\x08\x07 stand-in model bytes")
    banner = run_standin(tmp_path, trt, board, ["--help"]).stdout
    version = parse_version(banner)
    warmup_ms = 100
    flags = trtexec_flags(version, "fp16", str(model), str(tmp_path / "e"),
                          str(tmp_path / "t.json"), warmup_ms=warmup_ms, duration_s=1,
                          iterations=20)
    done = run_standin(tmp_path, trt, board, flags)
    assert done.returncode == 0, done.stdout[-500:]
    report = parse_trtexec_output(done.stdout)
    assert str(report.version).startswith(trt.split(".")[0])
    queries = parse_export_times((tmp_path / "t.json").read_text(), report, warmup_ms)
    assert len(queries.latency_ms) >= 20
    assert report.queries in (None, len(queries.latency_ms))
    assert min(queries.latency_ms) == pytest.approx(report.latency.min_ms, rel=1e-4)
    assert max(queries.latency_ms) == pytest.approx(report.latency.max_ms, rel=1e-4)
    assert 0.9 <= report.walltime_s <= 1.2


def test_flags_a_release_does_not_know_are_rejected_by_the_standin(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\x08\x07")
    flags = trtexec_flags(TrtVersion(10, 3, 0), "fp32", str(model), "e", "t.json",
                          warmup_ms=0, duration_s=1, iterations=10)
    done = run_standin(tmp_path, "7.1.3", "tx2", flags)  # a TRT 10 flag set on TensorRT 7
    assert done.returncode == 1
    with pytest.raises(TrtexecOutputError, match="Unknown option"):
        parse_trtexec_output(done.stdout)


# --- exported per-query times ----------------------------------------------------------
def _entries(latencies: list[float], start_ms: float) -> list[dict[str, float]]:
    out, clock = [], start_ms
    for value in latencies:
        out.append({"startComputeMs": clock, "latencyMs": value, "computeMs": value - 0.1})
        clock += value
    return out


def test_export_times_with_warmups_included_uses_the_timed_count():
    report = parse_trtexec_output(TRT80)
    timed = [1.6] * 1875
    text = json.dumps(_entries([9.0] * 120, 0.0) + _entries(timed, 200.0))
    queries = parse_export_times(text, report, 200)
    assert len(queries.latency_ms) == 1875 and set(queries.latency_ms) == {1.6}


def test_export_times_of_trt7_use_the_warmup_rule():
    report = parse_trtexec_output(TRT7)
    text = json.dumps(_entries([9.0] * 30, 0.0) + _entries([3.625] * 800, 300.0))
    queries = parse_export_times(text, report, 270)
    assert len(queries.latency_ms) == 800


def test_export_times_that_disagree_with_the_summary_fail():
    report = parse_trtexec_output(TRT10)
    with pytest.raises(TrtexecOutputError, match="disagree"):
        parse_export_times(json.dumps(_entries([3.0] * 2000, 0.0)), report, 0)


@pytest.mark.parametrize("text", ["", "[", "{}", "[]", '[{"latencyMs": 1.5}]'])
def test_broken_export_files_fail(text):
    with pytest.raises(TrtexecOutputError):
        parse_export_times(text, parse_trtexec_output(TRT7), 0)
