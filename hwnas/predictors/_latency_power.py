"""Energy as predicted latency times predicted average power (`latency-power`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hwnas.predictors._base import ArchLike, ModelState, Predictor, create_predictor
from hwnas.predictors._errors import PredictorError
from hwnas.predictors._models import (
    RIDGE_ALPHAS,
    _EncodedPredictor,
    load_booster,
    train_booster,
)


class LatencyPowerPredictor(_EncodedPredictor):
    """Energy = a latency model (a `gbdt`) x a model of log average power.

    Every energy measurement comes with the latency of the same run. Latency is learnt
    almost exactly from the architecture, while average power carries most of the
    run-to-run noise; fitting energy directly makes the trees chase that noise through
    the whole additive structure. Here the latency part learns from the (clean) latency
    values, and a ridge plus shallow trees learn log(energy / predicted latency).

    `pretrain(archs, {latency_metric: values})` hands over latency measurements;
    `fit(archs, energy)` then fits the latency model on the latency of exactly the
    architectures it is given (so a test architecture's latency never trains it) and
    the power model on their energy.
    """

    name: ClassVar[str] = "latency-power"
    libraries: ClassVar[tuple[str, ...]] = ("lightgbm", "scikit-learn")
    MODEL_FILE: ClassVar[str] = "lightgbm.txt"
    LATENCY_CHILD: ClassVar[str] = "latency"

    def __init__(
        self,
        latency_options: Mapping[str, Any] | None = None,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 3,
        min_child_samples: int = 20,
        **context: Any,
    ) -> None:
        super().__init__(features="graph", **context)
        self.latency_options = dict(latency_options or {})
        self.params = {
            "n_estimators": int(n_estimators),
            "learning_rate": float(learning_rate),
            "num_leaves": int(num_leaves),
            "min_child_samples": int(min_child_samples),
        }
        self.latency_metric = ""
        self._latency_values: dict[tuple[int, ...], float] = {}
        self.latency: Predictor | None = None
        self.coef = np.zeros(0)
        self.intercept = 0.0
        self.booster: Any = None

    def options(self) -> dict[str, Any]:
        return {"latency_options": self.latency_options, **self.params}

    def pretrain(
        self,
        archs: Sequence[ArchLike] | np.ndarray,
        columns: Mapping[str, Sequence[float] | np.ndarray],
    ) -> LatencyPowerPredictor:
        """Latency measurements (one column, e.g. `onnx/cifar100/latency_ms`) for `fit`."""
        if len(columns) != 1:
            raise PredictorError(
                f"latency-power takes exactly one latency column, got {len(columns)} "
                "(e.g. --source onnx/cifar100/latency_ms)"
            )
        ((metric, values),) = columns.items()
        genes = self.genes_of(archs)
        y = np.asarray(values, dtype=float).reshape(-1)
        if len(y) != len(genes):
            raise PredictorError(
                f"latency column {metric!r} has {len(y)} values for {len(genes)} architectures"
            )
        valid = np.isfinite(y) & (y > 0)
        self.latency_metric = metric
        self._latency_values = {
            tuple(int(g) for g in row): float(v)
            for row, v, ok in zip(genes, y, valid, strict=True)
            if ok
        }
        return self

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        from sklearn.linear_model import RidgeCV

        if not self._latency_values:
            raise PredictorError(
                "latency-power needs the latency of its training architectures: call "
                "pretrain(archs, {'<framework>/<task>/latency_ms': values}) first "
                "(CLI: --source <framework>/<task>/latency_ms)"
            )
        keys = [tuple(int(g) for g in row) for row in genes]
        missing = sum(k not in self._latency_values for k in keys)
        if missing:
            raise PredictorError(
                f"{missing} of {len(keys)} training architectures have no valid "
                f"{self.latency_metric} value; train on architectures measured for both"
            )
        latency = np.array([self._latency_values[k] for k in keys])
        context = {**self.context, "metric": self.latency_metric}
        self.latency = create_predictor("gbdt", **context, **self.latency_options)
        self.latency.fit(genes, latency)
        x = self.encoder.encode(genes)
        log_power = np.log(values / self.latency.predict(genes))
        ridge = RidgeCV(alphas=RIDGE_ALPHAS).fit(x, log_power)
        self.coef = np.asarray(ridge.coef_, dtype=float)
        self.intercept = float(ridge.intercept_)
        self.booster = train_booster(self.params, self.seed, x,
                                     log_power - (x @ self.coef + self.intercept))

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        assert self.latency is not None
        x = self.encoder.encode(genes)
        log_power = x @ self.coef + self.intercept + self.booster.predict(x, num_threads=1)
        return self.latency.predict(genes) * np.exp(log_power)

    def _state(self) -> ModelState:
        assert self.latency is not None
        return ModelState(
            config={"latency_metric": self.latency_metric, "intercept": self.intercept},
            arrays={"ridge_coef": self.coef},
            texts={self.MODEL_FILE: self.booster.model_to_string()},
            children={self.LATENCY_CHILD: self.latency},
        )

    def _restore(self, state: ModelState) -> None:
        self.latency_metric = str(state.config["latency_metric"])
        self.intercept = float(state.config["intercept"])
        self.coef = np.asarray(state.arrays["ridge_coef"], dtype=float)
        self.latency = state.children[self.LATENCY_CHILD]
        self.booster = load_booster(state.texts[self.MODEL_FILE])
