"""Profiler figures: ONNX Runtime cost and stability over NAS-Bench-201, tuned TVM vs ONNX
Runtime, and how well the roofline model ranks the measured Raspberry Pi 5 latencies.

    nice -n 10 python benchmarks/profilers.py --sample 200 --threads 1 --tvm-cells 0
    taskset -c 1 nice -n 10 python benchmarks/profilers.py --skip-ort-sweep --tvm-cells 50 \
        --tvm-threads 1 --tvm-trials 96 --tvm-trials-global 1200 --tvm-trials-per-iter 16

Without --sample every one of the 6,466 unique cells is measured. Networks are the
cifar100 variant (3x32x32 input, 100 classes, not pruned) that the Pi 5 campaign measured.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

NB201_UNIQUE = 6466
INPUT_SHAPE = (3, 32, 32)
NUM_CLASSES = 100
PI5_METRIC = "onnx/cifar100/latency_ms"
PI5_ENERGY = "onnx/cifar100/energy_mj"


def log(message: str) -> None:
    print(message, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sample", type=int, default=None, help="unique cells to measure (default: all 6,466)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="ONNX Runtime intra-op threads")
    parser.add_argument(
        "--sample-ms",
        type=float,
        default=10.0,
        help="each timed sample is the mean of consecutive inferences lasting at least this "
        "long (ProfileSettings.min_sample_ms; 0: one inference per sample)",
    )
    parser.add_argument(
        "--skip-ort-sweep",
        action="store_true",
        help="skip the ONNX Runtime / roofline sweep over --sample cells (run the TVM part alone)",
    )
    parser.add_argument(
        "--tvm-cells", type=int, default=3, help="cells for TVM vs ONNX Runtime (0: skip)"
    )
    parser.add_argument(
        "--tvm-trials", type=int, default=4, help="MetaSchedule trials per distinct task, at most"
    )
    parser.add_argument(
        "--tvm-trials-global",
        type=int,
        default=None,
        help="MetaSchedule trials over all tasks (default: --tvm-trials x tasks); the gradient "
        "task scheduler gives them to the tasks with the largest weighted latency",
    )
    parser.add_argument(
        "--tvm-trials-per-iter", type=int, default=8, help="candidates measured per task round"
    )
    parser.add_argument(
        "--tvm-threads",
        type=int,
        default=1,
        help="threads of TVM (target num-cores, runtime pool) and of the ONNX Runtime reference",
    )
    parser.add_argument(
        "--tvm-untuned-cells", type=int, default=5, help="of the TVM cells, how many to also "
        "time with TVM's untuned default schedules (0: none)"
    )
    parser.add_argument("--work-dir", default=None, help="where the TVM tuning database goes")
    args = parser.parse_args()
    if args.tvm_cells > 0:
        # before tvm is imported: the runtime pool of this process and of MetaSchedule's workers
        os.environ["TVM_NUM_THREADS"] = str(args.tvm_threads)

    import torch

    torch.set_num_threads(1)  # export and weight set-up: do not fight the timed runs for cores
    from hwnas.profilers import host_environment
    from hwnas.spaces import create_space

    space = create_space("nb201")
    cells = space.unique()
    random.Random(args.seed).shuffle(cells)
    cells = cells[: args.sample] if args.sample else cells
    env = host_environment()
    log(
        f"host: {env['cpu_count']} CPUs, load average {env['load_average_1m']} at start "
        "(shared machine: other engineers' jobs run at the same time; timings are noisy)"
    )
    log(
        f"cells: {len(cells)} of {NB201_UNIQUE} unique NAS-Bench-201 cells (seed {args.seed}), "
        f"input {INPUT_SHAPE}, {NUM_CLASSES} classes"
    )

    result: dict[str, object] = {
        "cells": 0,
        "ort_seconds_per_arch": None,
        "ort_median_cv": None,
        "roofline_spearman_pi5_onnx": None,
    }
    if not args.skip_ort_sweep:
        result |= ort_sweep(cells, args)
    result |= {"tvm_vs_ort_median_ratio": None, "tvm_cells": 0}
    if args.tvm_cells > 0:
        result |= tvm_vs_ort(cells[: args.tvm_cells], args)
    result["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result), flush=True)


def ort_sweep(cells: list, args: argparse.Namespace) -> dict[str, object]:
    """ONNX Runtime on this host, and the roofline model of the Pi 5 on the same export."""
    import numpy as np
    from scipy.stats import spearmanr

    from hwnas.benchmarks import read_pi5_measurements
    from hwnas.core import HwnasError
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler

    ort = create_profiler("onnxruntime", provider="cpu")
    roofline = create_profiler("roofline")
    settings = ProfileSettings(threads=args.threads, min_sample_ms=args.sample_ms)
    pi5 = read_pi5_measurements()
    ort_rows, failures = [], 0
    ci_fractions: list[float] = []
    per_inference_cvs: list[float] = []
    group_sizes: list[int] = []
    started = time.perf_counter()
    roofline_s = 0.0
    for index, arch in enumerate(cells, 1):
        source = ModelSource.from_architecture(
            arch, input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES
        )
        try:
            measured = ort.profile(source, "host-cpu", settings)
        except HwnasError as error:
            failures += 1
            log(f"  failed: {error}")
            continue
        tick = time.perf_counter()
        model = roofline.profile(source, "raspberry-pi-5")
        roofline_s += time.perf_counter() - tick
        try:
            pi5_ms, pi5_mj = pi5.value(arch, PI5_METRIC), pi5.value(arch, PI5_ENERGY)
        except HwnasError:
            pi5_ms = pi5_mj = float("nan")
        ort_rows.append(
            (
                arch.string,
                measured.latency_p50_ms,
                measured.latency_cv,
                measured.noisy,
                model.latency_p50_ms,
                model.energy_mj,
                model.environment["flops"],
                pi5_ms,
                pi5_mj,
            )
        )
        ci_fractions.append(measured.environment["median_ci_fraction"])
        per_inference_cvs.append(measured.environment["per_inference_cv"])
        group_sizes.append(measured.environment["inferences_per_sample"])
        if index % 25 == 0 or index == len(cells):
            elapsed = time.perf_counter() - started
            log(f"  {index}/{len(cells)} cells, {elapsed:.0f} s, load {os.getloadavg()[0]:.1f}")
    total_s = time.perf_counter() - started
    ort_s = total_s - roofline_s
    per_arch = ort_s / max(1, len(ort_rows))
    cvs = [r[2] for r in ort_rows]
    p50s = [r[1] for r in ort_rows]
    log(
        f"ONNX Runtime: {len(ort_rows)} cells in {ort_s:.1f} s = {per_arch:.3f} s/cell "
        "(export + weights + session + measurement)"
    )
    full_minutes = per_arch * NB201_UNIQUE / 60
    if len(cells) < NB201_UNIQUE:
        log(
            f"  extrapolated, not measured: all {NB201_UNIQUE} unique cells would take ~{full_minutes:.0f} min"
        )
    else:
        log(f"  all {NB201_UNIQUE} unique cells took {full_minutes:.0f} min")
    log(
        f"  samples: each the mean of >= {args.sample_ms:g} ms of consecutive inferences "
        f"(median {statistics.median(group_sizes):g} inferences per sample, range "
        f"{min(group_sizes)}-{max(group_sizes)}); per-inference median CV of the same runs "
        f"{statistics.median(per_inference_cvs):.4f}"
    )
    log(
        f"  median CV of the samples (std/mean, outliers included) {statistics.median(cvs):.4f}; median half-width of "
        f"the median's 95% CI {statistics.median(ci_fractions):.4f} of the median; noisy (never settled) {sum(r[3] for r in ort_rows)}; "
        f"median p50 {statistics.median(p50s):.3f} ms, range {min(p50s):.3f}-{max(p50s):.3f} ms"
    )

    frame = np.array([r[1:3] + r[4:] for r in ort_rows], dtype=float)
    valid = ~np.isnan(frame[:, 5])
    rho = float(spearmanr(frame[valid, 2], frame[valid, 5]).statistic)
    rho_flops = float(spearmanr(frame[valid, 4], frame[valid, 5]).statistic)
    rho_host = float(spearmanr(frame[valid, 0], frame[valid, 5]).statistic)
    energy_valid = valid & ~np.isnan(frame[:, 6])
    rho_energy = float(spearmanr(frame[energy_valid, 3], frame[energy_valid, 6]).statistic)
    log(
        f"roofline (raspberry-pi-5 catalog entry) vs measured Pi 5 ONNX Runtime latency, {int(valid.sum())} cells: "
        f"Spearman {rho:.3f} (FLOPs alone {rho_flops:.3f}; this host's ONNX Runtime {rho_host:.3f}); "
        f"energy Spearman {rho_energy:.3f}; roofline {roofline_s / max(1, len(ort_rows)):.3f} s/cell"
    )

    return {
        "cells": len(ort_rows),
        "failed": failures,
        "full_space": len(cells) >= NB201_UNIQUE,
        "ort_threads": args.threads,
        "ort_seconds_per_arch": round(per_arch, 4),
        "ort_all_unique_minutes": round(full_minutes, 1),
        "ort_all_unique_minutes_extrapolated": len(cells) < NB201_UNIQUE,
        "ort_sample_ms": args.sample_ms,
        "ort_median_inferences_per_sample": statistics.median(group_sizes),
        "ort_median_cv": round(statistics.median(cvs), 4),
        "ort_per_inference_median_cv": round(statistics.median(per_inference_cvs), 4),
        "ort_noisy": int(sum(r[3] for r in ort_rows)),
        "ort_median_ci_fraction": round(statistics.median(ci_fractions), 4),
        "roofline_spearman_pi5_onnx": round(rho, 4),
        "flops_spearman_pi5_onnx": round(rho_flops, 4),
        "host_ort_spearman_pi5_onnx": round(rho_host, 4),
        "roofline_energy_spearman_pi5_onnx": round(rho_energy, 4),
    }



def tvm_vs_ort(cells: list, args: argparse.Namespace) -> dict[str, object]:
    """Tune once into one database shared by `cells`, then time each with TVM and ORT."""
    from hwnas.core import HwnasError
    from hwnas.devices import get_device
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler, tune_tvm
    from hwnas.toolchain import device_target

    threads = args.tvm_threads
    target = {**device_target(get_device("host-cpu")), "num-cores": threads}
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="hwnas-bench-"))
    database = work / "host-cpu.tvm-tuning"
    chosen = [
        ModelSource.from_architecture(c, input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES)
        for c in cells
    ]
    log(
        f"TVM: target {target}, {threads} thread(s) for TVM and ONNX Runtime; tuning {len(chosen)} "
        f"cells into {database}: at most {args.tvm_trials} trials per distinct task, "
        f"{args.tvm_trials_global or 'trials x tasks'} in all, {args.tvm_trials_per_iter} per round"
    )
    report = tune_tvm(
        chosen,
        "host-cpu",
        database,
        trials_per_task=args.tvm_trials,
        target=target,
        timeout_s=300,
        max_trials_global=args.tvm_trials_global,
        num_trials_per_iter=args.tvm_trials_per_iter,
    )
    log(
        f"  {report.tasks_seen} distinct tasks over {report.models} cells "
        f"({report.tasks_tuned} tuned now, {report.tasks_reused} already in the database), "
        f"{report.trials} trials measured, {report.tuning_s:.0f} s of tuning, "
        f"cost model {report.cost_model}"
    )
    settings = ProfileSettings(threads=threads, min_sample_ms=args.sample_ms)
    ort = create_profiler("onnxruntime", provider="cpu")
    tuned = create_profiler("tvm", target=target, database=database)
    untuned = create_profiler("tvm", target=target)
    ratios, untuned_ratios, coverages = [], [], []
    started = time.perf_counter()
    failed = []
    for index, source in enumerate(chosen):
        reference = ort.profile(source, "host-cpu", settings)
        try:
            fast = tuned.profile(source, "host-cpu", settings)
        except HwnasError as error:
            failed.append(source.arch_string)
            log(f"  {source.arch_string}: TVM failed: {error}")
            continue
        ratios.append(fast.latency_p50_ms / reference.latency_p50_ms)
        coverages.append(fast.environment["tuning_coverage"])
        line = (
            f"  {source.arch_string}: ORT {reference.latency_p50_ms:.3f} ms, TVM tuned "
            f"{fast.latency_p50_ms:.3f} ms (x{ratios[-1]:.2f}, coverage "
            f"{fast.environment['tuning_coverage']:.2f})"
        )
        if index < args.tvm_untuned_cells:
            slow = untuned.profile(
                source, "host-cpu", ProfileSettings(threads=threads, warmup=2, min_repeats=5, max_repeats=20)
            )
            untuned_ratios.append(slow.latency_p50_ms / reference.latency_p50_ms)
            line += f", untuned {slow.latency_p50_ms:.3f} ms"
        log(line)
    ordered = sorted(ratios)
    out = {
        "tvm_cells": len(chosen),
        "tvm_failed": failed,
        "tvm_threads": threads,
        "tvm_target": target,
        "tvm_trials_per_task": args.tvm_trials,
        "tvm_trials_global": args.tvm_trials_global,
        "tvm_tasks": report.tasks_seen,
        "tvm_tasks_tuned_now": report.tasks_tuned,
        "tvm_trials": report.trials,
        "tvm_tuning_s": report.tuning_s,
        "tvm_cost_model": report.cost_model,
        "tvm_median_tuning_coverage": statistics.median(coverages),
        "tvm_min_tuning_coverage": min(coverages),
        "tvm_vs_ort_median_ratio": round(statistics.median(ratios), 3),
        "tvm_vs_ort_ratio_min_max": [round(ordered[0], 3), round(ordered[-1], 3)],
        "tvm_faster_than_ort_cells": sum(r < 1 for r in ratios),
        "tvm_untuned_cells": len(untuned_ratios),
        "tvm_untuned_vs_ort_median_ratio": round(statistics.median(untuned_ratios), 3)
        if untuned_ratios
        else None,
        "tvm_timing_s": round(time.perf_counter() - started, 1),
    }
    log(
        f"  TVM tuned / ORT median ratio {out['tvm_vs_ort_median_ratio']} over {len(chosen)} cells "
        f"(range {out['tvm_vs_ort_ratio_min_max']}, TVM faster on {out['tvm_faster_than_ort_cells']}, "
        f"{len(failed)} failed to build); "
        f"untuned {out['tvm_untuned_vs_ort_median_ratio']} over {len(untuned_ratios)} cells"
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
