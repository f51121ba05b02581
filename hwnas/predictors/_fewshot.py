"""Few-shot transfer: predictors pretrained on other devices/frameworks, calibrated on K."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hwnas.predictors._base import ArchLike, ModelState, Predictor, create_predictor
from hwnas.predictors._errors import PredictorError
from hwnas.predictors._features import feature_encoder


class FewShotPredictor(Predictor):
    """Adapts to a new target from K measured architectures.

    `pretrain(archs, {source_metric: values, ...})` fits one `base` predictor per source
    column (other frameworks or devices, plenty of data). `fit(archs, values)` with K
    target measurements then fits a non-negative linear calibration of the source
    predictions plus a few per-op-type counts (`compact` features), which is what K = 10
    to 50 samples can pin down. Without sources it falls back to the counts alone.
    """

    name: ClassVar[str] = "fewshot"
    min_training_size: ClassVar[int] = 3

    def __init__(
        self,
        base: str = "gbdt",
        base_options: Mapping[str, Any] | None = None,
        use_compact: bool = True,
        **context: Any,
    ) -> None:
        super().__init__(**context)
        self.base = base
        self.base_options = dict(base_options or {})
        self.use_compact = bool(use_compact)
        self.encoder = feature_encoder(
            self.space.name, "graph", self.input_shape, self.num_classes, self.device
        )
        self.sources: dict[str, Predictor] = {}
        self.weights = np.zeros(0)
        self.intercept = 0.0
        self.scale = np.zeros(0)

    def options(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "base_options": self.base_options,
            "use_compact": self.use_compact,
        }

    @property
    def feature_columns(self) -> tuple[str, ...]:
        compact = self.encoder.compact_columns if self.use_compact else ()
        return tuple(f"source:{name}" for name in self.sources) + tuple(compact)

    def pretrain(
        self,
        archs: Sequence[ArchLike] | np.ndarray,
        columns: Mapping[str, Sequence[float] | np.ndarray],
    ) -> FewShotPredictor:
        """Fit one base predictor per source column (NaN values are skipped)."""
        genes = self.genes_of(archs)
        for source, values in columns.items():
            y = np.asarray(values, dtype=float)
            if len(y) != len(genes):
                raise PredictorError(
                    f"source {source!r} has {len(y)} values for {len(genes)} architectures"
                )
            valid = np.isfinite(y) & (y > 0)
            context = {**self.context, "metric": source}
            model = create_predictor(self.base, **context, **self.base_options)
            model.fit(genes[valid], y[valid])
            self.sources[source] = model
        return self

    def add_source(self, source: str, predictor: Predictor) -> FewShotPredictor:
        """Use an already fitted predictor (e.g. loaded from disk) as a source."""
        if not predictor.fitted:
            raise PredictorError(f"source predictor {source!r} is not fitted")
        if predictor.space.name != self.space.name:
            raise PredictorError(
                f"source {source!r} predicts space {predictor.space.name}, not {self.space.name}"
            )
        self.sources[source] = predictor
        return self

    def _design(self, genes: np.ndarray) -> np.ndarray:
        parts = [model.predict(genes)[:, None] for model in self.sources.values()]
        if self.use_compact or not parts:
            parts.append(self.encoder.compact(genes))
        return np.hstack(parts) if parts else np.zeros((len(genes), 0))

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        from scipy.optimize import nnls

        design = self._design(genes)
        self.scale = np.maximum(np.abs(design).max(axis=0), 1e-12)
        solution, _ = nnls(np.c_[design / self.scale, np.ones(len(values))], values)
        self.weights = solution[:-1] / self.scale
        self.intercept = float(solution[-1])

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        return self._design(genes) @ self.weights + self.intercept

    def _state(self) -> ModelState:
        children = {f"source_{i}": model for i, model in enumerate(self.sources.values())}
        return ModelState(
            config={"sources": list(self.sources), "intercept": self.intercept},
            arrays={"calibration_weights": self.weights},
            children=children,
        )

    def _restore(self, state: ModelState) -> None:
        names = state.config["sources"]
        self.sources = {name: state.children[f"source_{i}"] for i, name in enumerate(names)}
        self.weights = np.asarray(state.arrays["calibration_weights"], dtype=float)
        self.intercept = float(state.config["intercept"])
