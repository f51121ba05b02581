"""How well coevo's screen ranks Pi 5 latency, with features of the proposed string vs
features of the cell the table actually measured (its `measured_as` isomorphic cell).

Trains the screen's surrogate (hwnas.search._surrogate) on N random NAS-Bench-201 class
representatives and tests on all others; prints Spearman over all test cells and over
those under 2 ms (where 16 of the 30 true-front cells lie), and, for reference, the
`gbdt` latency predictor trained the same way.

    .venv/bin/python benchmarks/search_surrogate.py --train 150 --seeds 5
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--column", default="pi5-onnx")
    args = parser.parse_args()

    from scipy.stats import spearmanr

    from hwnas.predictors import create_predictor
    from hwnas.search import SourceContext, create_source
    from hwnas.search._surrogate import EnsembleSurrogate, FeatureCache
    from hwnas.spaces import create_space

    space = create_space("nb201")
    source = create_source("table", args.column, SourceContext("nb201", "latency"))
    archs = space.unique()
    latency = np.array([v.value if v.ok else np.nan for v in source.values(archs)])
    keep = np.isfinite(latency)
    archs = [a for a, k in zip(archs, keep, strict=True) if k]
    latency = latency[keep]
    measured = [source.executed(a) for a in archs]
    cache = FeatureCache(space, device="raspberry-pi-5")
    views = {"proposed string": cache.matrix(archs), "measured cell": cache.matrix(measured)}
    fast = latency < 2.0
    rows: dict[str, list[tuple[float, float]]] = {}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        train = rng.choice(len(archs), args.train, replace=False)
        test = np.setdiff1d(np.arange(len(archs)), train)
        under = fast[test]
        for name, matrix in views.items():
            model = EnsembleSurrogate(4, seed).fit(matrix[train], latency[train, None])
            predicted = model.predict(matrix[test])[0][:, 0]
            rows.setdefault(f"screen, {name}", []).append((
                spearmanr(predicted, latency[test])[0],
                spearmanr(predicted[under], latency[test][under])[0]))
        for name, cells in (("proposed string", archs), ("measured cell", measured)):
            predictor = create_predictor("gbdt", space="nb201", input_shape=(3, 32, 32),
                                         num_classes=100, device="raspberry-pi-5", seed=seed)
            predictor.fit([cells[i] for i in train], latency[train])
            predicted = predictor.predict([cells[i] for i in test])
            rows.setdefault(f"gbdt predictor, {name}", []).append((
                spearmanr(predicted, latency[test])[0],
                spearmanr(predicted[under], latency[test][under])[0]))
    print(f"{args.column}: {len(archs)} classes, {fast.sum()} under 2 ms; train {args.train}, "
          f"{args.seeds} seeds (means)")
    summary = {}
    for name, values in rows.items():
        mean = np.mean(values, axis=0)
        print(f"  {name:34s} Spearman all {mean[0]:.3f}   under 2 ms {mean[1]:.3f}")
        summary[name] = {"spearman_all": round(float(mean[0]), 4),
                         "spearman_under_2ms": round(float(mean[1]), 4)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
