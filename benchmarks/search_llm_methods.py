"""spark and seki with an LLM on NAS-Bench-201 (CIFAR-100 accuracy, Pi 5 ONNX Runtime
latency), next to the same runs offline: quality, LLM calls, and every rejection by kind
(and, for spark, by factor).

The default LLM is the embedded Gemma 3 270M (`--llm local`, ~15 s a call on 2 cores), so
the default budget is small: spark runs 2 islands of 2 random starts, then one step (three
calls: router, refinement, rewrite) per evaluation; seki 4 random starts, self-evolution
(one call per evaluation) to half the budget, then knowledge inspiration (one call per 2
designs). Each finished run is appended to `--out` (JSON lines) and skipped when the script
runs again, so a stopped benchmark resumes. The last line printed is one JSON object.

    flock /work/notes/bench.lock nice -n 10 .venv/bin/python benchmarks/search_llm_methods.py
    .venv/bin/python benchmarks/search_llm_methods.py --budget 6 --strategies seki  # quick
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"
OPTIONS = {"spark": {"islands": 2, "init_per_island": 2},
           "seki": {"init": 4, "budget_share": 0.5, "designs": 2}}


def one_run(strategy: str, budget: int, seed: int, llm: str | None) -> dict:
    from hwnas.runs import RunStore
    from hwnas.search import SearchConfig, run_search

    folder = tempfile.mkdtemp(prefix="hwnas-llm-bench-")
    try:
        started = time.perf_counter()
        result = run_search(SearchConfig(
            OBJECTIVES, strategy=strategy, budget=budget, seed=seed, bands=1,
            device="raspberry-pi-5", llm=llm, strategy_options=OPTIONS[strategy]), folder)
        with RunStore.open(result.folder) as store:
            summary = [e["data"] for e in store.events() if e["kind"] == "finished"][-1]
            origins: dict[str, int] = {}
            for extra in store.candidate_extras():
                origins[extra["origin"]] = origins.get(extra["origin"], 0) + 1
        usage = summary.get("llm_usage") or {}
        return {
            "strategy": strategy, "budget": budget, "seed": seed, "llm": result.llm,
            "hv_ratio": result.hv_ratio, "igd": result.igd, "recall": result.recall,
            "evaluations": result.evaluations, "origins": origins,
            "rejections": dict(sorted(result.rejections.items())),
            "llm_calls": usage.get("calls", 0), "llm_latency_s": round(usage.get(
                "latency_s", 0.0), 1), "llm_reply_rejections": usage.get("rejections", {}),
            "method": summary.get("llm_proposals", {}),
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", default="local", help="local (embedded model), env, or a model")
    parser.add_argument("--strategies", default="spark,seki")
    parser.add_argument("--budget", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="search_llm_methods.jsonl",
                        help="finished runs, one JSON line each (resumes from it)")
    args = parser.parse_args()
    out = Path(args.out)
    done = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    print(f"host load {os.getloadavg()[0]:.1f}; {len(done)} run(s) already in {out}", flush=True)
    rows = []
    for strategy in args.strategies.split(","):
        for llm in (args.llm, None):
            label = llm or "none"
            found = [r for r in done if (r["strategy"], r["budget"], r["seed"], r["llm_spec"])
                     == (strategy, args.budget, args.seed, label)]
            if found:
                rows.append(found[-1])
                continue
            row = one_run(strategy, args.budget, args.seed, llm) | {"llm_spec": label}
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"{'strategy':<8}{'llm':<22}{'budget':>6}{'HV ratio':>10}{'IGD':>8}{'recall':>8}"
          f"{'calls':>7}{'LLM s':>8}  rejections")
    for row in rows:
        print(f"{row['strategy']:<8}{row['llm']:<22}{row['budget']:>6}{row['hv_ratio']:>10.4f}"
              f"{row['igd']:>8.4f}{row['recall'] * 100:>7.1f}%{row['llm_calls']:>7}"
              f"{row['llm_latency_s']:>8.1f}  {row['rejections']}")
    print(json.dumps({"runs": rows}))


if __name__ == "__main__":
    main()
