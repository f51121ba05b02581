"""Profiler figures: ONNX Runtime cost and stability over NAS-Bench-201, tuned TVM vs ONNX
Runtime, and how well the roofline model ranks the measured Raspberry Pi 5 latencies.

    nice -n 10 python benchmarks/profilers.py --sample 200 --tvm-cells 3 --tvm-trials 4

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
        "--tvm-cells", type=int, default=3, help="cells for TVM vs ONNX Runtime (0: skip)"
    )
    parser.add_argument(
        "--tvm-trials", type=int, default=4, help="MetaSchedule trials per distinct task"
    )
    parser.add_argument("--work-dir", default=None, help="where the TVM tuning database goes")
    args = parser.parse_args()

    import numpy as np
    import torch
    from scipy.stats import spearmanr

    torch.set_num_threads(1)  # export and weight set-up: do not fight the timed runs for cores
    from hwnas.benchmarks import read_pi5_measurements
    from hwnas.core import HwnasError
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler, host_environment
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

    # --- ONNX Runtime on this host, and the roofline model of the Pi 5 on the same export
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

    # --- TVM, tuned into one database shared by the cells, vs ONNX Runtime
    tvm_result: dict[str, object] = {"tvm_cells": 0}
    if args.tvm_cells > 0:
        from hwnas.profilers import tune_tvm

        work = Path(args.work_dir or tempfile.mkdtemp(prefix="hwnas-bench-"))
        database = work / "host-cpu.tvm-tuning"
        chosen = [
            ModelSource.from_architecture(c, input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES)
            for c in cells[: args.tvm_cells]
        ]
        log(
            f"TVM: tuning {len(chosen)} cells, {args.tvm_trials} trials per distinct task, into {database}"
        )
        report = tune_tvm(
            chosen, "host-cpu", database, trials_per_task=args.tvm_trials, timeout_s=300
        )
        log(
            f"  {report.tasks_seen} distinct tasks over {report.models} cells "
            f"({report.tasks_tuned} tuned, {report.tasks_reused} reused), {report.trials} trials, "
            f"{report.tuning_s:.0f} s of tuning"
        )
        tuned = create_profiler("tvm", database=database)
        untuned = create_profiler("tvm")
        ratios, untuned_ratios = [], []
        for source in chosen:
            reference = ort.profile(source, "host-cpu", settings)
            fast = tuned.profile(source, "host-cpu", settings)
            slow = untuned.profile(
                source, "host-cpu", ProfileSettings(warmup=2, min_repeats=5, max_repeats=20)
            )
            ratios.append(fast.latency_p50_ms / reference.latency_p50_ms)
            untuned_ratios.append(slow.latency_p50_ms / reference.latency_p50_ms)
            log(
                f"  {source.arch_string}: ORT {reference.latency_p50_ms:.3f} ms, TVM tuned "
                f"{fast.latency_p50_ms:.3f} ms, untuned {slow.latency_p50_ms:.3f} ms"
            )
        tvm_result = {
            "tvm_cells": len(chosen),
            "tvm_trials_per_task": args.tvm_trials,
            "tvm_tasks": report.tasks_seen,
            "tvm_tuning_s": report.tuning_s,
            "tvm_vs_ort_median_ratio": round(statistics.median(ratios), 3),
            "tvm_untuned_vs_ort_median_ratio": round(statistics.median(untuned_ratios), 3),
        }
        log(
            f"  TVM tuned / ORT median ratio {tvm_result['tvm_vs_ort_median_ratio']}, untuned "
            f"{tvm_result['tvm_untuned_vs_ort_median_ratio']}"
        )

    result = {
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
        "tvm_vs_ort_median_ratio": None,
        **tvm_result,
        "load_average_1m_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
