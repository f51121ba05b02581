"""The screening surrogate: a small LightGBM ensemble on architecture features.

Trained on the candidates a run has evaluated, it predicts every objective of many
operator (or LLM) proposals so only the most promising are evaluated. The spread of
the ensemble members (bagging with different seeds) stands in for uncertainty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hwnas.core import Architecture

# NAS-Bench-201 input-to-output paths, as edge indices (node 0 -> ... -> node 3).
_NB201_PATHS = ((3,), (0, 4), (1, 5), (0, 2, 5))


class FeatureCache:
    """Numeric features of architectures (space features + path features), cached."""

    def __init__(self, space: Any, extra: Any | None = None) -> None:
        self.space = space
        self.extra = extra  # a callable arch -> float (the band feature) or None
        self._rows: dict[str, np.ndarray] = {}

    def _compute(self, arch: Architecture) -> np.ndarray:
        features = self.space.features(arch)
        row = [features[k] for k in sorted(features)]
        if self.space.name == "nb201":
            genes = self.space.genes(arch)
            live = self.space.live_edges(arch)
            ops = self.space.ops
            for path in _NB201_PATHS:
                names = [ops[genes[e]] for e in path]
                alive = all(live[e] for e in path)
                row.append(float(alive))
                row.append(float(alive) * sum(n == "nor_conv_3x3" for n in names))
                row.append(float(alive) * sum(n == "nor_conv_1x1" for n in names))
                row.append(float(alive) * sum(n == "avg_pool_3x3" for n in names))
            # the executed graph: NAS-Bench-201 networks ran a `none` feeding a live node as
            # a multiply-by-zero and an add, so latency follows the isomorphism key's terms
            key = self.space.isomorphism_key(arch)
            row.append(float(key.count("#")))
            row.append(float(key.count("+")))
            row.append(float(len(key)))
            for op in ops[2:]:
                row.append(float(key.count(op)))
        if self.extra is not None:
            row.append(float(self.extra(arch)))
        return np.asarray(row, dtype=float)

    def matrix(self, archs: Sequence[Architecture]) -> np.ndarray:
        rows = []
        for arch in archs:
            row = self._rows.get(arch.string)
            if row is None:
                row = self._rows[arch.string] = self._compute(arch)
            rows.append(row)
        return np.vstack(rows) if rows else np.zeros((0, 0))


class EnsembleSurrogate:
    """Per objective: a ridge line (it extrapolates past the data, trees cannot) plus a
    LightGBM ensemble on its residuals; `predict` gives (mean, std) per objective, the
    std being the spread of members fitted on bootstrap resamples."""

    def __init__(self, members: int = 4, seed: int = 0, trees: int = 60) -> None:
        self.members = members
        self.seed = seed
        self.trees = trees
        self._models: list[list[tuple[Any, Any]]] = []
        self._scale: tuple[np.ndarray, np.ndarray] | None = None

    def _scaled(self, features: np.ndarray) -> np.ndarray:
        assert self._scale is not None
        mean, std = self._scale
        return (features - mean) / std

    def fit(self, features: np.ndarray, targets: np.ndarray) -> EnsembleSurrogate:
        import lightgbm as lgb
        from sklearn.linear_model import Ridge
        from threadpoolctl import threadpool_limits

        targets = np.asarray(targets, dtype=float)
        n = len(features)
        std = features.std(axis=0)
        self._scale = (features.mean(axis=0), np.where(std > 0, std, 1.0))
        scaled = self._scaled(features)
        rng = np.random.default_rng(self.seed)
        params = {
            "objective": "regression", "learning_rate": 0.1, "num_leaves": 15, "max_bin": 15,
            "min_data_in_leaf": max(2, min(5, n // 10)), "feature_fraction": 0.8,
            "lambda_l2": 1.0, "num_threads": 1, "verbose": -1, "deterministic": True,
            "force_row_wise": True,
        }
        self._models = []
        with threadpool_limits(1):  # small matrices: threads only add contention
            for column in range(targets.shape[1]):
                models = []
                for member in range(self.members):
                    rows = rng.integers(0, n, n) if member else np.arange(n)
                    line = Ridge(alpha=3.0).fit(scaled[rows], targets[rows, column])
                    residual = targets[rows, column] - line.predict(scaled[rows])
                    dataset = lgb.Dataset(features[rows], residual, params={"max_bin": 15,
                                          "verbose": -1}, free_raw_data=False)
                    trees = lgb.train(dict(params, seed=self.seed * 1000 + member), dataset,
                                      num_boost_round=self.trees, keep_training_booster=True)
                    models.append((line, trees))
                self._models.append(models)
        return self

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from threadpoolctl import threadpool_limits

        scaled = self._scaled(features)
        means, stds = [], []
        with threadpool_limits(1):
            for models in self._models:
                stacked = np.vstack([line.predict(scaled) + trees.predict(features, num_threads=1)
                                     for line, trees in models])
                means.append(stacked.mean(axis=0))
                stds.append(stacked.std(axis=0))
        return np.array(means).T, np.array(stds).T
