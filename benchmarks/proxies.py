"""Zero-cost proxies and the learned ensemble on 1,000 random NAS-Bench-201 architectures.

    nice -n 10 .venv/bin/python benchmarks/proxies.py            # full run (cached)
    .venv/bin/python benchmarks/proxies.py --archs 100 --repeats 3  # a quick look

Proxy values are cached in .hwnas-cache/proxies/ (gitignored): a rerun only fits the
ensembles. The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"cifar10": "cifar10_test_acc", "cifar100": "cifar100_test_acc",
           "imagenet16_120": "imagenet16_120_test_acc"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="architecture sample and proxy seed")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", default=None,
                        help="CIFAR/image folder for the proxies (default: scikit-learn digits)")
    parser.add_argument("--repeats", type=int, default=10, help="ensemble splits per K")
    parser.add_argument("--ks", default="20,50,100")
    parser.add_argument("--cache", default=str(ROOT / ".hwnas-cache/proxies/benchmark.sqlite"))
    parser.add_argument("--score-only", action="store_true", help="fill the cache and stop")
    parser.add_argument("--reverse", action="store_true",
                        help="with --score-only: score from the last architecture backwards "
                        "(a second worker that meets the first one through the cache)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from hwnas.benchmarks._data import find_data_dir
    from hwnas.proxies import resolve_data, resolve_proxies, score_architectures

    table_path = find_data_dir() / "nb201" / "accuracy.csv"
    import pandas as pd

    table = pd.read_csv(table_path)
    # the first N of one seeded draw of 1,000 rows, so a shorter run is a prefix of the full one
    rows = random.Random(args.seed).sample(range(len(table)), max(args.archs, 1000))[:args.archs]
    sample = table.iloc[rows].reset_index(drop=True)
    archs = list(sample["arch"])
    data = resolve_data(args.data_dir)
    proxies = resolve_proxies(None)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            elapsed = time.perf_counter() - started
            print(f"  scored {done}/{total} architectures ({elapsed:.0f} s)", file=sys.stderr,
                  flush=True)

    if args.score_only:
        order = archs[::-1] if args.reverse else archs
        score_architectures(order, proxies, data=data, seed=args.seed, space="nb201",
                            cache=args.cache, progress=progress)
        return
    scores = score_architectures(archs, proxies, data=data, seed=args.seed, space="nb201",
                                 cache=args.cache, progress=progress)
    report(args, sample, scores, proxies, data, table_path)


def report(args, sample, scores, proxies, data, table_path) -> None:  # noqa: ANN001
    import platform
    import statistics

    import numpy as np

    from hwnas.proxies import AccuracyEstimator, rank_correlations

    archs = list(sample["arch"])
    names = [p.name for p in proxies]
    seconds = [sum(row[n].seconds for n in names) for row in scores]
    seconds_per_arch = statistics.fmean(seconds)
    print(f"{len(archs)} NAS-Bench-201 architectures (seed {args.seed}) of {table_path}")
    print(f"images seen by image proxies: {data.description}")
    print("data-free proxies: synflow (an all-ones input), zen (Gaussian noise), "
          "params and flops (no input; exact from the nb201 cost model)")
    import os

    load = os.getloadavg()
    print(f"host: {platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}; "
          f"seconds per architecture, all proxies: mean {seconds_per_arch:.2f}, "
          f"median {statistics.median(seconds):.2f} (wall time when each was computed; "
          f"load average now {load[0]:.1f}/{load[2]:.1f} over 1/15 min)")
    print()
    proxy_rho: dict[str, dict[str, float]] = {}
    header = f"{'proxy':<26}{'s/arch':>8}" + "".join(f"{t:>16}" for t in TARGETS)
    print("Spearman rho over all architectures")
    print(header)
    for name in names:
        values = [row[name].value for row in scores]
        proxy_rho[name] = {t: rank_correlations(values, sample[c])["spearman"]
                           for t, c in TARGETS.items()}
        per_arch = statistics.fmean(row[name].seconds for row in scores)
        cells = "".join(f"{proxy_rho[name][t]:>16.3f}" for t in TARGETS)
        print(f"{name:<26}{per_arch:>8.3f}{cells}")
    vote_members = [n for n in ("synflow", "jacob_cov", "snip") if n in names]
    if vote_members:
        from scipy.stats import rankdata

        vote = np.mean([rankdata([row[n].value for row in scores]) for n in vote_members], axis=0)
        proxy_rho["vote"] = {t: rank_correlations(vote, sample[c])["spearman"]
                             for t, c in TARGETS.items()}
        label = f"vote({','.join(vote_members)})"
        print(f"{label:<26}{'':>8}" + "".join(f"{proxy_rho['vote'][t]:>16.3f}" for t in TARGETS))
    print()
    ks = [int(k) for k in args.ks.split(",")]
    ensemble: dict[str, dict[str, dict[str, float]]] = {}
    print(f"Ensemble (LightGBM over {len(names)} proxies + architecture features), trained on K "
          f"random labelled architectures, Spearman on the other {len(archs)} - K; "
          f"median [min, max] over {args.repeats} splits")
    print(f"{'K':<6}" + "".join(f"{t:>26}" for t in TARGETS))
    fit_seconds = []
    for k in ks:
        ensemble[f"k{k}"] = {}
        cells = []
        for target, column in TARGETS.items():
            labels = sample[column].to_numpy()
            rhos, taus, calibration = [], [], []
            for repeat in range(args.repeats):
                order = np.random.default_rng(repeat).permutation(len(archs))
                train, test = order[:k], order[k:]
                started = time.perf_counter()
                estimator = AccuracyEstimator("nb201", proxies, data, seed=repeat)
                estimator.fit([archs[i] for i in train], labels[train],
                              [scores[i] for i in train])
                mean, std = estimator.predict([archs[i] for i in test],
                                              [scores[i] for i in test])
                fit_seconds.append(time.perf_counter() - started)
                result = rank_correlations(mean, labels[test])
                # does the spread over boosters flag the worse guesses? The true rank fraction
                # of a held-out cell is where its label falls among the training labels.
                true_fraction = np.searchsorted(np.sort(labels[train]), labels[test],
                                                side="right") / len(train)
                calibration.append(
                    rank_correlations(std, np.abs(mean - true_fraction))["spearman"])
                rhos.append(result["spearman"])
                taus.append(result["kendall"])
            ensemble[f"k{k}"][target] = {
                "spearman_median": statistics.median(rhos), "spearman_min": min(rhos),
                "spearman_max": max(rhos), "kendall_median": statistics.median(taus),
                "std_vs_error_spearman_median": statistics.median(calibration),
            }
            cells.append(f"{statistics.median(rhos):.3f} [{min(rhos):.3f}, {max(rhos):.3f}]")
        print(f"{k:<6}" + "".join(f"{c:>26}" for c in cells))
    print(f"ensemble fit + predict: {statistics.fmean(fit_seconds):.2f} s per split")
    print("uncertainty: Spearman between the boosters' std and the absolute error of the "
          "predicted rank fraction (median over splits)")
    print(f"{'K':<6}" + "".join(f"{t:>26}" for t in TARGETS))
    for k in ks:
        cells = "".join(f"{ensemble[f'k{k}'][t]['std_vs_error_spearman_median']:>26.3f}"
                        for t in TARGETS)
        print(f"{k:<6}{cells}")
    summary = {
        "ensemble_k50_spearman_cifar100": ensemble.get("k50", {}).get("cifar100", {})
        .get("spearman_median"),
        "synflow_spearman_cifar100": proxy_rho.get("synflow", {}).get("cifar100"),
        "seconds_per_arch": round(seconds_per_arch, 4),
        "data": data.description,
        "archs": len(archs),
        "repeats": args.repeats,
        "threads": args.threads,
        "load_average_15min": round(load[2], 2),
        "proxy_spearman": {n: {t: round(v, 4) for t, v in r.items()} for n, r in proxy_rho.items()},
        "ensemble_k50_std_vs_error_spearman_cifar100": ensemble.get("k50", {})
        .get("cifar100", {}).get("std_vs_error_spearman_median"),
        "ensemble_spearman_median": {
            k: {t: round(v["spearman_median"], 4) for t, v in r.items()}
            for k, r in ensemble.items()
        },
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
