"""lut-sum: a network's latency as the sum of its blocks' measured latencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hwnas.predictors._base import ModelState, Predictor
from hwnas.predictors._errors import PredictorError


class LutSumPredictor(Predictor):
    """Sums a latency table's blocks; `fit` (optional) fits a linear correction on
    end-to-end measurements (`a * sum + b`), which absorbs fusion and overlap.

    `prune=False` sums every block the unpruned network runs (as the benchmarks measured
    it); `prune=True` sums only live blocks.
    """

    name: ClassVar[str] = "lut-sum"

    def __init__(self, table: Any = None, prune: bool = False, **context: Any) -> None:
        from hwnas.lut import LatencyTable, load_table

        self.table = None
        if isinstance(table, (str, Path)):
            self.table = load_table(table)
        elif isinstance(table, LatencyTable):
            self.table = table
        elif table is not None:
            raise PredictorError("table must be a latency-table path or a LatencyTable")
        if self.table is not None:
            context.setdefault("space", self.table.space)
            context.setdefault("device", self.table.device)
            context.setdefault("input_shape", self.table.input_shape)
            context.setdefault("num_classes", self.table.num_classes)
        super().__init__(**context)
        if self.table is not None:
            self._check_table()
            self._fitted = True  # a table predicts without training
        self.prune = bool(prune)
        self.slope, self.intercept_ms = 1.0, 0.0

    def _check_table(self) -> None:
        assert self.table is not None
        if self.table.space != self.space.name:
            raise PredictorError(
                f"latency table is for space {self.table.space}, predictor for {self.space.name}"
            )
        if tuple(self.table.input_shape) != tuple(self.input_shape):
            raise PredictorError(
                f"latency table was measured at input {self.table.input_shape}, predictor "
                f"needs {self.input_shape}: rebuild the table with --input-shape"
            )

    def options(self) -> dict[str, Any]:
        return {"prune": self.prune}

    def _need_table(self) -> Any:
        if self.table is None:
            raise PredictorError("lut-sum needs a latency table: pass table=PATH (hwnas lut build)")
        return self.table

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        sums = self._need_table().sum_ms(genes, self.prune)
        if np.ptp(sums) > 0:
            fitted = np.polyfit(sums, values, 1, w=1.0 / values)  # least relative error
            self.slope, self.intercept_ms = float(fitted[0]), float(fitted[1])
        else:
            self.slope, self.intercept_ms = 1.0, float(np.mean(values - sums))

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        return self.slope * self._need_table().sum_ms(genes, self.prune) + self.intercept_ms

    def _state(self) -> ModelState:
        return ModelState(
            config={
                "table": self._need_table().to_dict(),
                "slope": self.slope,
                "intercept_ms": self.intercept_ms,
            }
        )

    def _restore(self, state: ModelState) -> None:
        from hwnas.lut import LatencyTable

        self.table = LatencyTable.from_dict(state.config["table"], "saved lut-sum model")
        self._check_table()
        self.slope = float(state.config["slope"])
        self.intercept_ms = float(state.config["intercept_ms"])
