"""Export and deploy figures for docs/export.md (NAS-Bench-201, this host's CPU).

    nice -n 10 .venv/bin/python benchmarks/export_deploy.py            # 8 cells, 1 TVM build
    .venv/bin/python benchmarks/export_deploy.py --cells 3 --no-tvm    # a quick look

1. Over the whole space: how many cells the pruned (deployed) network computes exactly
   (`prune_is_exact`), and how many have a dead edge at all.
2. For `--cells` random cells (seeded): export time, max abs error of the exported file
   (ONNX Runtime) against the benchmark torch network, whether it was pruned, ONNX node
   counts pruned vs unpruned, and the deploy check on host-cpu: the file measured with
   the onnxruntime profiler against a "prediction" that is the benchmark (unpruned)
   network measured the same way, so the error shows what pruning and run-to-run noise
   do on one device.
3. One TVM host build (untuned): build time, library vs ONNX Runtime error.

The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-tvm", action="store_true")
    args = parser.parse_args()

    import onnx

    from hwnas.export import export_architecture
    from hwnas.export._export import prune_is_exact
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler
    from hwnas.spaces import create_space
    from hwnas.toolchain import export_onnx, reinitialize_weights

    space = create_space("nb201")
    everything = list(space.enumerate())
    exact = sum(prune_is_exact(space, a) for a in everything)
    with_dead_edge = sum(not all(space.live_edges(a)) for a in everything)
    print(f"space: {len(everything)} cells; pruned network exact for {exact} "
          f"({100 * exact / len(everything):.1f}%); some edge dropped by pruning in "
          f"{with_dead_edge} ({100 * with_dead_edge / len(everything):.1f}%)")

    profiler = create_profiler("onnxruntime")
    settings = ProfileSettings(threads=args.threads, max_seconds=args.max_seconds,
                               ci_fraction=0.02)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for arch in space.sample(args.cells, seed=args.seed):
            started = time.perf_counter()
            result = export_architecture(arch, folder)
            export_s = time.perf_counter() - started
            full = reinitialize_weights(space.to_torch(arch), space.default_input_shape)
            unpruned = export_onnx(full, space.default_input_shape)
            full_nodes = len(onnx.load_from_string(unpruned).graph.node)
            nodes = len(onnx.load(result.onnx_path).graph.node)
            benchmark = profiler.profile(ModelSource.from_architecture(arch), "host-cpu", settings)
            deployed = profiler.profile(result.onnx_path, "host-cpu", settings)
            predicted = benchmark.latency_p50_ms
            error = 100 * (deployed.latency_p50_ms - predicted) / predicted
            rows.append({
                "arch": arch.string, "export_s": round(export_s, 2),
                "max_abs_error": result.max_abs_error, "pruned": result.pruned,
                "onnx_nodes": nodes, "onnx_nodes_unpruned": full_nodes,
                "benchmark_p50_ms": round(benchmark.latency_p50_ms, 3),
                "deployed_p50_ms": round(deployed.latency_p50_ms, 3),
                "deploy_error_percent": round(error, 1),
                "noisy": benchmark.noisy or deployed.noisy,
            })
            print(json.dumps(rows[-1]))
        tvm_row = None
        if not args.no_tvm:
            from hwnas.export import build_tvm_library

            started = time.perf_counter()
            summary = build_tvm_library(result.onnx_path, "host")
            tvm_row = {"arch": result.architecture.string,
                       "build_s": round(time.perf_counter() - started, 1),
                       "max_abs_error_vs_onnxruntime": summary["max_abs_error_vs_onnxruntime"]}
            print(json.dumps(tvm_row))
    print("| cell | export s | max abs error | pruned | ONNX nodes (unpruned) | benchmark p50 ms | "
          "deployed p50 ms | deploy-check error |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| `{r['arch']}` | {r['export_s']} | {r['max_abs_error']:.1e} | {r['pruned']} | "
              f"{r['onnx_nodes']} ({r['onnx_nodes_unpruned']}) | {r['benchmark_p50_ms']} | "
              f"{r['deployed_p50_ms']} | {r['deploy_error_percent']:+.1f}%"
              f"{' (noisy)' if r['noisy'] else ''} |")
    headline = {
        "cells": len(rows), "exact_prune_fraction": round(exact / len(everything), 4),
        "max_abs_error_max": max(r["max_abs_error"] for r in rows),
        "export_s_median": statistics.median(r["export_s"] for r in rows),
        "deploy_error_percent_median": statistics.median(r["deploy_error_percent"] for r in rows),
        "tvm": tvm_row, "threads": args.threads, "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
