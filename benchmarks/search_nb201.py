"""Search quality on NAS-Bench-201: every strategy, budgets 100 and 200, 10 seeds.

CIFAR-100 accuracy from ../shared/data/nb201/accuracy.csv, Raspberry Pi 5 latency from
../shared/data/nb201/pi5_latency_energy.csv.gz (ONNX Runtime, LiteRT, TorchMobile
columns). For each run: HV ratio (found / true front hypervolume, objectives normalised by
the true front's ideal and nadir, reference point 1.1), IGD in the same normalised space,
and recall of the true front's isomorphism classes. Prints a table of medians with the
interquartile range and, as the last line, one JSON object with `S_bB_hv_ratio`,
`S_bB_igd`, `S_bB_recall` (ONNX Runtime column) for every strategy S and budget B, the
other columns under `columns`, `llm` (the model used by coevo, `none` offline) and
`llm_by_strategy` (the model each LLM strategy used: coevo, spark, seki). The LLM
strategies run offline unless `--llm` names a model; benchmarks/search_llm_methods.py
runs spark and seki with the embedded model and reports their rejections.

    nice -n 10 .venv/bin/python benchmarks/search_nb201.py            # the full table
    .venv/bin/python benchmarks/search_nb201.py --seeds 3 --columns onnx  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

COLUMNS = {"onnx": "pi5-onnx", "litert": "pi5-litert", "torchmobile": "pi5-torchmobile"}
LLM_STRATEGIES = ("coevo", "spark", "seki")  # the strategies --llm applies to


def one_run(job: tuple[str, str, int, int, int, str | None, dict]) -> dict:
    column, strategy, budget, seed, bands, llm, options = job
    from hwnas.search import SearchConfig, run_search

    folder = tempfile.mkdtemp(prefix="hwnas-bench-")
    try:
        started = time.perf_counter()
        result = run_search(SearchConfig(
            objectives=f"accuracy=table:cifar100,latency=table:{COLUMNS[column]}",
            strategy=strategy, budget=budget, seed=seed, bands=bands,
            device="raspberry-pi-5", llm=llm if strategy in LLM_STRATEGIES else None,
            strategy_options=options.get(strategy, {}),
        ), folder)
        return {"column": column, "strategy": strategy, "budget": budget, "seed": seed,
                "hv_ratio": result.hv_ratio, "igd": result.igd, "recall": result.recall,
                "evaluations": result.evaluations, "failed": result.failed, "llm": result.llm,
                "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(median), float(q1), float(q3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="100,200")
    parser.add_argument("--strategies", default="random,evolution,nsga2,coevo,spark,seki")
    parser.add_argument("--columns", default="onnx,litert,torchmobile")
    parser.add_argument("--bands", type=int, default=4)
    parser.add_argument("--llm", default=None,
                        help="LLM for coevo, spark and seki (default: none, offline)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--options", default="{}",
                        help='strategy options as JSON, e.g. {"coevo": {"kappa": 0.5}}')
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    strategies = args.strategies.split(",")
    columns = args.columns.split(",")
    options = json.loads(args.options)
    jobs = [(c, s, b, seed, args.bands, args.llm, options) for c in columns for b in budgets
            for s in strategies for seed in range(args.seeds)]
    started = time.perf_counter()
    print(f"{len(jobs)} runs on {args.jobs} worker(s), host load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(one_run, jobs, chunksize=1))
    else:
        rows = [one_run(job) for job in jobs]
    header = (f"{'column':<12}{'strategy':<11}{'budget':>6}  {'llm':<6}"
              f"{'HV ratio (IQR)':>26}{'IGD (IQR)':>26}{'recall (IQR)':>24}{'s/run':>7}")
    print(header)
    print("-" * len(header))
    summary: dict[str, object] = {}
    per_column: dict[str, dict[str, float]] = {}
    llm_used = "none"
    llm_by_strategy: dict[str, str] = {}
    for column in columns:
        for budget in budgets:
            for strategy in strategies:
                group = [r for r in rows if (r["column"], r["strategy"], r["budget"]) ==
                         (column, strategy, budget)]
                hv = quartiles([r["hv_ratio"] for r in group])
                ig = quartiles([r["igd"] for r in group])
                rc = quartiles([r["recall"] for r in group])
                llm = group[0]["llm"]
                if strategy == "coevo":
                    llm_used = llm
                if strategy in LLM_STRATEGIES:
                    llm_by_strategy[strategy] = llm
                seconds = float(np.mean([r["seconds"] for r in group]))
                print(f"{column:<12}{strategy:<11}{budget:>6}  {llm:<6}"
                      f"{hv[0]:>10.4f} ({hv[1]:.4f}-{hv[2]:.4f})"
                      f"{ig[0]:>10.4f} ({ig[1]:.4f}-{ig[2]:.4f})"
                      f"{rc[0] * 100:>10.1f}% ({rc[1] * 100:.0f}-{rc[2] * 100:.0f}%)"
                      f"{seconds:>7.1f}")
                keys = {f"{strategy}_b{budget}_hv_ratio": round(hv[0], 4),
                        f"{strategy}_b{budget}_igd": round(ig[0], 4),
                        f"{strategy}_b{budget}_recall": round(rc[0], 4)}
                if column == "onnx":
                    summary.update(keys)
                per_column.setdefault(column, {}).update(keys)
    print(f"{len(jobs)} runs, {args.seeds} seeds, {time.perf_counter() - started:.0f} s wall; "
          "medians with interquartile range; recall counts true-front isomorphism classes")
    summary["llm"] = llm_used
    summary["seeds"] = args.seeds
    summary["columns"] = {c: v for c, v in per_column.items() if c != "onnx"}
    summary["llm_by_strategy"] = llm_by_strategy
    print(json.dumps(summary))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
