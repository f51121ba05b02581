"""Stand-in for TensorRT's `trtexec` (tests only: TensorRT cannot run here).

Prints what trtexec 7.1.3 (JetPack 4.5), 8.5.2 (JetPack 5.1) or 10.3.0 (JetPack 6.1)
prints for `--onnx/--loadEngine ... --exportTimes`, rejects the flags that release does
not know, builds nothing (writes a marker engine), and spends real wall time warming
up and "timing" so that tegrastats sees the load. Failure modes for tests: the
`hang`, `drop_once` and `drop_always` state files.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

from _common import BOARD, LATENCY_MS, STATE, TRT, log_call

MAJOR, MINOR, PATCH = (int(p) for p in TRT.split("."))
CODE = f"{MAJOR}{MINOR:02d}{PATCH:02d}" if MAJOR >= 10 else f"{MAJOR}{MINOR}{PATCH:02d}"
BANNER = "TensorRT.trtexec" if MAJOR < 8 else f"TensorRT.trtexec [TensorRT v{CODE}]"
KNOWN = {"--onnx", "--saveEngine", "--loadEngine", "--fp16", "--int8", "--calib", "--warmUp",
         "--duration", "--iterations", "--useCudaGraph", "--percentile", "--exportTimes",
         "--shapes", "--avgRuns", "--help", "--verbose"}
if MAJOR >= 8:
    KNOWN |= {"--noTF32", "--skipInference"}


def log(level: str, text: str = "") -> None:
    print(time.strftime("[%m/%d/%Y-%H:%M:%S]") + f" [{level}] {text}".rstrip(), flush=True)


def fail(argv: list[str], message: str) -> int:
    log("E", message)
    print(f"&&&& FAILED {BANNER} # trtexec {' '.join(argv)}", flush=True)
    return 1


def kill_ssh_session() -> None:
    """Simulate a dropped link: kill this command's sshd session process."""
    pid = os.getppid()
    while pid > 1:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        if comm.startswith("sshd"):
            os.kill(pid, signal.SIGKILL)
            time.sleep(5)
            return
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2

    def pct(p: float) -> float:  # trtexec's own percentile rule
        return ordered[max(n - 1 - int((1 - p / 100) * n), 0)]

    return {"min": ordered[0], "max": ordered[-1], "mean": sum(ordered) / n, "median": median,
            **{f"p{p:g}": pct(p) for p in (90, 95, 99)}}


def g(value: float) -> str:
    return f"{value:.6g}"


def main(argv: list[str]) -> int:
    log_call("trtexec", argv)
    print(f"&&&& RUNNING {BANNER} # trtexec {' '.join(argv)}", flush=True)
    options: dict[str, str] = {}
    for arg in argv:
        key, _, value = arg.partition("=")
        if key not in KNOWN:
            return fail(argv, f"Unknown option: {arg}")
        options[key] = value
    if "--help" in options:
        print("=== Model Options ===\n  --onnx=<file>   ONNX model", flush=True)
        return 0
    percentiles = [float(p) for p in options.get("--percentile", "99").split(",")]
    if len(percentiles) > 1 and (MAJOR, MINOR) < (8, 6):
        return fail(argv, f"Invalid value for --percentile: {options['--percentile']}")
    precision = "int8" if "--int8" in options else "fp16" if "--fp16" in options else "fp32"
    if "--onnx" in options:
        model = Path(options["--onnx"])
        if not model.is_file() or model.stat().st_size == 0:
            return fail(argv, f"Failed to parse onnx file {model}")
        if precision == "int8" and BOARD == "tx2":
            return fail(argv, "[TRT] Platform does not support INT8: use fp16 or fp32")
        log("I", "Start parsing network model")
        log("I", "Finish parsing network model")
        time.sleep(0.3)  # "building"
        log("I", "Engine built in 0.3 sec.")
        if "--saveEngine" in options:
            Path(options["--saveEngine"]).write_text(f"standin-engine {precision}")
            log("I", f"Engine saved to {options['--saveEngine']}")
    elif "--loadEngine" in options:
        engine = Path(options["--loadEngine"])
        if not engine.is_file():
            return fail(argv, f"Error opening engine file: {engine}")
        precision = engine.read_text().split()[-1]
    else:
        return fail(argv, "Model missing or format not recognized")
    if (STATE / "hang").exists():
        time.sleep(3600)
    if (STATE / "drop_once").exists():
        (STATE / "drop_once").unlink()
        kill_ssh_session()
    if (STATE / "drop_always").exists():
        kill_ssh_session()
    warmup_ms = float(options.get("--warmUp", "200"))
    duration_s = float(options.get("--duration", "3"))
    iterations = int(options.get("--iterations", "10"))
    base = LATENCY_MS[BOARD][precision]
    rng = random.Random(7)
    log("I", "Starting inference")
    (STATE / "busy").touch()
    try:
        # A synthetic trace: back-to-back queries, warm-up first (times relative to start).
        trace, clock = [], 0.0
        while clock < warmup_ms or len([t for t in trace if t["startComputeMs"] >= warmup_ms]) \
                < iterations or clock < warmup_ms + duration_s * 1000.0:
            h2d, d2h = 0.02, 0.01
            compute = base * rng.lognormvariate(0, 0.03) * (1.5 if rng.random() < 0.01 else 1.0)
            start = clock
            trace.append({"startEnqMs": start, "endEnqMs": start + 0.05, "startH2dMs": start,
                          "endH2dMs": start + h2d, "startComputeMs": start + h2d,
                          "endComputeMs": start + h2d + compute,
                          "startD2hMs": start + h2d + compute,
                          "endD2hMs": start + h2d + compute + d2h,
                          "h2dMs": h2d, "computeMs": compute, "d2hMs": d2h,
                          "latencyMs": h2d + compute + d2h, "endToEndMs": h2d + compute + d2h})
            clock += h2d + compute + d2h + 0.005
        time.sleep(clock / 1000.0)  # real time passes as the trace says
    finally:
        (STATE / "busy").unlink(missing_ok=True)
    timed = [t for t in trace if t["startComputeMs"] >= warmup_ms]
    warmups = len(trace) - len(timed)
    walltime_s = (timed[-1]["endD2hMs"] - timed[0]["startH2dMs"]) / 1000.0
    latency = stats([t["latencyMs"] for t in timed])
    compute = stats([t["computeMs"] for t in timed])
    if MAJOR >= 8:
        log("I", f"Warmup completed {warmups} queries over {g(warmup_ms)} ms")
        log("I", f"Timing trace has {len(timed)} queries over {g(walltime_s)} s")
    log("I", "")
    log("I", "=== Trace details ===")
    log("I", "Trace averages of 10 runs:")
    for i in range(0, len(timed) - 9, 10):
        chunk = timed[i:i + 10]
        gpu = sum(t["computeMs"] for t in chunk) / 10
        host = sum(t["latencyMs"] for t in chunk) / 10
        if MAJOR >= 10:
            log("I", f"Average on 10 runs - GPU latency: {g(gpu)} ms - Host latency: {g(host)} ms "
                     f"(enqueue {g(0.05)} ms)")
        else:
            log("I", f"Average on 10 runs - GPU latency: {g(gpu)} ms - Host latency: {g(host)} ms "
                     f"(end to end {g(host)} ms, enqueue {g(0.05)} ms)")
    if MAJOR < 8:
        log("I", "Host Latency")
        for key in ("min", "max", "mean", "median"):
            log("I", f"{key}: {g(latency[key])} ms (end to end {g(latency[key])} ms)")
        p99 = g(latency["p99"])
        log("I", f"percentile: {p99} ms at 99% (end to end {p99} ms at 99%)")
        log("I", "throughput: 0 qps")
        log("I", f"walltime: {g(walltime_s)} s")
        log("I", "Enqueue Time")
        for key in ("min", "max", "median"):
            log("I", f"{key}: 0.05 ms")
        log("I", "GPU Compute")
        for key in ("min", "max", "mean", "median"):
            log("I", f"{key}: {g(compute[key])} ms")
        log("I", f"percentile: {g(compute['p99'])} ms at 99%")
        log("I", f"total compute time: {g(sum(t['computeMs'] for t in timed) / 1000)} s")
    else:
        def perf(values: dict[str, float]) -> str:
            text = (f"min = {g(values['min'])} ms, max = {g(values['max'])} ms, mean = "
                    f"{g(values['mean'])} ms, median = {g(values['median'])} ms")
            return text + "".join(
                f", percentile({p:g}%) = {g(values[f'p{p:g}'])} ms" for p in percentiles
            )

        log("I", "")
        log("I", "=== Performance summary ===")
        log("I", f"Throughput: {g(len(timed) / walltime_s)} qps")
        log("I", f"Latency: {perf(latency)}")
        if MAJOR == 8:
            log("I", f"End-to-End Host Latency: {perf(latency)}")
        log("I", f"Enqueue Time: {perf({k: 0.05 for k in latency})}")
        log("I", f"H2D Latency: {perf({k: 0.02 for k in latency})}")
        log("I", f"GPU Compute Time: {perf(compute)}")
        log("I", f"D2H Latency: {perf({k: 0.01 for k in latency})}")
        log("I", f"Total Host Walltime: {g(walltime_s)} s")
        log("I", f"Total GPU Compute Time: {g(sum(t['computeMs'] for t in timed) / 1000)} s")
        log("I", "Explanations of the performance metrics are printed in the verbose logs.")
    if "--exportTimes" in options:
        exported = timed if (MAJOR, MINOR) >= (8, 6) else trace
        if MAJOR < 8:
            keys = {"startH2dMs": "startInMs", "endH2dMs": "endInMs", "startD2hMs": "startOutMs",
                    "endD2hMs": "endOutMs", "h2dMs": "inMs", "d2hMs": "outMs"}
            exported = [
                {keys.get(k, k): v for k, v in t.items() if k not in ("startEnqMs", "endEnqMs")}
                for t in exported
            ]
        elif MAJOR >= 10:
            exported = [{k: v for k, v in t.items() if k != "endToEndMs"} for t in exported]
        Path(options["--exportTimes"]).write_text(json.dumps(exported, indent=1))
    print(f"&&&& PASSED {BANNER} # trtexec {' '.join(argv)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
