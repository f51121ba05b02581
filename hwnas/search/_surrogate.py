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


class FeatureCache:
    """Numeric features of architectures, cached: the space's features and graph features
    (`SearchSpace.graph_features`), and the predictors' graph-aware encoding of the network
    as executed (unpruned) where the space has one (`hwnas.predictors.feature_encoder`)."""

    def __init__(self, space: Any, extra: Any | None = None, device: str | None = None) -> None:
        self.space = space
        self.extra = extra  # a callable arch -> float (the band feature) or None
        self._rows: dict[str, np.ndarray] = {}
        self._encoder = _graph_encoder(space, device)

    def _compute(self, arch: Architecture) -> np.ndarray:
        features = self.space.features(arch)
        row = [features[k] for k in sorted(features)]
        row.extend(self.space.graph_features(arch))  # e.g. nb201's paths and executed terms
        if self.extra is not None:
            row.append(float(self.extra(arch)))
        return np.asarray(row, dtype=float)

    def matrix(self, archs: Sequence[Architecture]) -> np.ndarray:
        missing = list({a.string: a for a in archs if a.string not in self._rows}.values())
        if missing:
            graph = (self._encoder.encode(np.array([self.space.genes(a) for a in missing]))
                     if self._encoder is not None else np.zeros((len(missing), 0)))
            for arch, encoded in zip(missing, graph, strict=True):
                self._rows[arch.string] = np.concatenate([self._compute(arch), encoded])
        rows = [self._rows[a.string] for a in archs]
        return np.vstack(rows) if rows else np.zeros((0, 0))


def _graph_encoder(space: Any, device: str | None) -> Any | None:
    """The predictors' graph-aware encoder for this space, or None (one-hot only)."""
    from hwnas.core import HwnasError
    from hwnas.predictors import OneHotEncoder, feature_encoder

    try:
        encoder = feature_encoder(space.name, "graph", device=device)
    except HwnasError:  # e.g. a device the catalog does not know: space features only
        return None
    return None if isinstance(encoder, OneHotEncoder) else encoder


class EnsembleSurrogate:
    """Per objective: a ridge line (it extrapolates past the data, trees cannot) plus a
    LightGBM ensemble on its residuals; `predict` gives (mean, std) per objective, the
    std being the spread of members fitted on bootstrap resamples."""

    def __init__(self, members: int = 4, seed: int = 0, trees: int = 60) -> None:
        self.members = members
        self.seed = seed
        self.trees = trees
        self._models: list[list[tuple[Any, Any]]] = []
        self._scales: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(self, features: np.ndarray | Sequence[np.ndarray],
            targets: np.ndarray) -> EnsembleSurrogate:
        """Fit one model per target column; `features` is one matrix for every column or
        one matrix per column (objectives whose values describe different networks)."""
        import lightgbm as lgb
        from sklearn.linear_model import Ridge
        from threadpoolctl import threadpool_limits

        targets = np.asarray(targets, dtype=float)
        matrices = _per_column(features, targets.shape[1])
        n = len(targets)
        rng = np.random.default_rng(self.seed)
        params = {
            "objective": "regression", "learning_rate": 0.1, "num_leaves": 15, "max_bin": 15,
            "min_data_in_leaf": max(2, min(5, n // 10)), "feature_fraction": 0.8,
            "lambda_l2": 1.0, "num_threads": 1, "verbose": -1, "deterministic": True,
            "force_row_wise": True,
        }
        self._models, self._scales = [], []
        with threadpool_limits(1):  # small matrices: threads only add contention
            for column, matrix in enumerate(matrices):
                std = matrix.std(axis=0)
                scale = (matrix.mean(axis=0), np.where(std > 0, std, 1.0))
                scaled = (matrix - scale[0]) / scale[1]
                models = []
                for member in range(self.members):
                    rows = rng.integers(0, n, n) if member else np.arange(n)
                    line = Ridge(alpha=3.0).fit(scaled[rows], targets[rows, column])
                    residual = targets[rows, column] - line.predict(scaled[rows])
                    dataset = lgb.Dataset(matrix[rows], residual, params={"max_bin": 15,
                                          "verbose": -1}, free_raw_data=False)
                    trees = lgb.train(dict(params, seed=self.seed * 1000 + member), dataset,
                                      num_boost_round=self.trees, keep_training_booster=True)
                    models.append((line, trees))
                self._models.append(models)
                self._scales.append(scale)
        return self

    def predict(self, features: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) per objective column, for one matrix or one matrix per column."""
        from threadpoolctl import threadpool_limits

        matrices = _per_column(features, len(self._models))
        means, stds = [], []
        with threadpool_limits(1):
            for models, (shift, scale), matrix in zip(self._models, self._scales, matrices,
                                                      strict=True):
                scaled = (matrix - shift) / scale
                stacked = np.vstack([line.predict(scaled) + trees.predict(matrix, num_threads=1)
                                     for line, trees in models])
                means.append(stacked.mean(axis=0))
                stds.append(stacked.std(axis=0))
        return np.array(means).T, np.array(stds).T


def _per_column(features: np.ndarray | Sequence[np.ndarray], columns: int) -> list[np.ndarray]:
    if isinstance(features, np.ndarray):
        return [features] * columns
    matrices = [np.asarray(m, dtype=float) for m in features]
    if len(matrices) != columns:
        raise ValueError(f"{len(matrices)} feature matrices for {columns} objectives")
    return matrices
