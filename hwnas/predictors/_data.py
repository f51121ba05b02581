"""Training data from benchmark tables: one row per network actually measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hwnas.predictors._errors import PredictorError

if TYPE_CHECKING:
    from hwnas.benchmarks import Table


@dataclass(frozen=True)
class MeasuredSet:
    """Architectures that were measured (canonical strings) and one metric's values."""

    archs: tuple[str, ...]
    values: np.ndarray
    metric: str

    def __len__(self) -> int:
        return len(self.archs)

    def split(self, n_train: int, seed: int = 0) -> tuple[MeasuredSet, MeasuredSet]:
        """A random training set of `n_train` and the rest as the test set."""
        if not 0 < n_train < len(self):
            raise PredictorError(
                f"training size must be between 1 and {len(self) - 1} for {self.metric}, "
                f"got {n_train}"
            )
        order = np.random.default_rng(seed).permutation(len(self))
        return self.subset(order[:n_train]), self.subset(order[n_train:])

    def subset(self, index: np.ndarray) -> MeasuredSet:
        index = np.asarray(index)
        return MeasuredSet(tuple(self.archs[i] for i in index), self.values[index], self.metric)

    def without(self, archs: set[str]) -> MeasuredSet:
        keep = np.array([a not in archs for a in self.archs], dtype=bool)
        return self.subset(np.flatnonzero(keep))


def measured_architectures(table: Table) -> list[str]:
    """Rows of `table` that were measured themselves (not copies of an isomorphic cell).

    Rows sharing `measured_as` carry one measurement; training on one copy and testing
    on another would leak. Tables without `measured_as` count every row as measured.
    """
    info = table.info
    if info is None or "measured_as" not in info.columns or "arch_index" not in info.columns:
        return list(table.frame.index)
    measured = info[info["arch_index"].to_numpy() == info["measured_as"].to_numpy()]
    return list(measured.index)


def measured_dataset(table: Table, metric: str) -> MeasuredSet:
    """The measured architectures with a valid value of `metric` (NaN rows dropped)."""
    if metric not in table.metrics:
        raise PredictorError(
            f"table {table.name!r} has no metric {metric!r}; metrics: {', '.join(table.metrics)}"
        )
    archs = measured_architectures(table)
    values = table.frame.loc[archs, metric].to_numpy(dtype=float)
    keep = np.isfinite(values) & (values > 0)
    return MeasuredSet(
        tuple(a for a, k in zip(archs, keep, strict=True) if k), values[keep], metric
    )


def table_context(table: Table, metric: str) -> dict[str, object]:
    """Space, device, input shape and classes a table's metric was measured with.

    Pi 5 metrics are named `framework/task/quantity`; the task fixes the input and head.
    """
    context: dict[str, object] = {"space": table.space, "metric": metric, "device": table.device}
    parts = metric.split("/")
    if table.name == "pi5" and len(parts) == 3:
        from hwnas.benchmarks import PI5_TASK_SHAPES

        if parts[1] in PI5_TASK_SHAPES:
            shape, classes = PI5_TASK_SHAPES[parts[1]]
            context["input_shape"] = shape
            context["num_classes"] = classes
    return context
