"""The embedded LLM (llama.cpp + Gemma 3 270M, CPU) as a proposer for NAS-Bench-201.

    nice -n 10 .venv/bin/python benchmarks/llm_local.py               # 10 proposal calls
    .venv/bin/python benchmarks/llm_local.py --calls 3 --threads 2    # a quick look

Starts the local server, probes it, asks for `--count` candidates per call with seeds
0..calls-1 (elites: the 5 most accurate of 50 random cells, with CIFAR-10 accuracy from
../shared/data when present and exact MFLOPs), then repeats one call to time the cache.
Reports latency, tokens, tokens/s, how many replies and candidates passed validation, why
the rest were rejected, and how proposals compare with random cells. The last line printed
is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--count", type=int, default=4, help="candidates asked for per call")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=600)
    args = parser.parse_args()

    from hwnas.benchmarks._data import find_data_dir
    from hwnas.core import Architecture, Candidate, ObjectiveValue
    from hwnas.llm import LlmClient, LocalLlamaServer, SqliteLlmCallLog, propose_candidates
    from hwnas.spaces import create_space

    space = create_space("nb201")
    accuracy: dict[str, float] = {}
    data_dir = find_data_dir(required=False)
    if data_dir is not None:
        with open(Path(data_dir) / "nb201" / "accuracy.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                accuracy[space.parse(row["arch"]).string] = float(row["cifar10_test_acc"])

    def candidate(arch: Architecture) -> Candidate:
        objectives = {"mflops": ObjectiveValue("mflops", space.cost(arch).mflops, "MFLOP", "table")}
        if accuracy:
            objectives["cifar10_acc"] = ObjectiveValue(
                "cifar10_acc", accuracy[arch.string], "%", "table", minimize=False
            )
        return Candidate(arch, objectives, band=0)

    pool = space.sample(50, seed=123)
    ranked = sorted(pool, key=lambda a: -accuracy.get(a.string, 0.0))
    elites = [candidate(a) for a in ranked[:5]]
    random_acc = [accuracy[a.string] for a in space.sample(1000, seed=7)] if accuracy else []

    records = []
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalLlamaServer(n_threads=args.threads) as server,
    ):
        log = SqliteLlmCallLog(Path(folder) / "calls.sqlite", "benchmark")
        client = LlmClient(server.settings(mode="auto", max_tokens=args.max_tokens), log=log)
        start = time.perf_counter()
        probe = client.probe()
        probe_s = time.perf_counter() - start
        for seed in range(args.calls):
            result = propose_candidates(
                client,
                space,
                band=0,
                elites=elites,
                count=args.count,
                seed=seed,
                band_description="cells of 50 to 200 MFLOPs",
                knowledge=["3x3 convolutions on the edges into node 3 raise accuracy"],
            )
            call = result.reply.call
            records.append(
                {
                    "seed": seed,
                    "latency_s": call.latency_s,
                    "prompt_tokens": call.prompt_tokens,
                    "completion_tokens": call.completion_tokens,
                    "reply_ok": result.reply.ok,
                    "valid": [c.architecture.string for c in result.candidates],
                    "rejections": [r.kind for r in result.rejections],
                }
            )
            print(json.dumps(records[-1]), flush=True)
        start = time.perf_counter()
        propose_candidates(
            client,
            space,
            band=0,
            elites=elites,
            count=args.count,
            seed=0,
            band_description="cells of 50 to 200 MFLOPs",
            knowledge=["3x3 convolutions on the edges into node 3 raise accuracy"],
        )
        cached_s = time.perf_counter() - start

    latencies = [r["latency_s"] for r in records]
    tokens_per_s = [r["completion_tokens"] / r["latency_s"] for r in records if r["latency_s"]]
    valid = [a for r in records for a in r["valid"]]
    distinct = {space.isomorphism_key(a) for a in valid}
    disconnected = sum(1 for a in valid if "0" not in space.isomorphism_key(a))
    no_conv = sum(1 for a in valid if "conv" not in a)
    summary = {
        "model": "gemma-3-270m-q4_k_m (base model)",
        "threads": args.threads,
        "probe_mode": probe.mode,
        "probe_s": round(probe_s, 2),
        "calls": len(records),
        "latency_s_median": round(statistics.median(latencies), 1),
        "latency_s_max": round(max(latencies), 1),
        "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in records),
        "completion_tokens_median": statistics.median(r["completion_tokens"] for r in records),
        "completion_tokens_per_s_median": round(statistics.median(tokens_per_s), 1),
        "replies_valid": sum(r["reply_ok"] for r in records),
        "candidates_asked": args.count * len(records),
        "candidates_valid": len(valid),
        "candidates_distinct": len(distinct),
        "rejections": dict(Counter(k for r in records for k in r["rejections"])),
        "valid_but_disconnected": disconnected,
        "valid_without_conv": no_conv,
        "cache_hit_s": round(cached_s, 4),
    }
    if accuracy and valid:
        summary["proposed_cifar10_acc_mean"] = round(statistics.mean(accuracy[a] for a in valid), 2)
        summary["random_cifar10_acc_mean"] = round(statistics.mean(random_acc), 2)
        summary["elite_cifar10_acc_mean"] = round(
            statistics.mean(e.value("cifar10_acc") for e in elites), 2
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
