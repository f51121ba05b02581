"""One `Table` interface over benchmark data: any metric of any architecture."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hwnas.core import Architecture, MissingValueError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ValidationReport:
    """What loading a table found wrong. Invalid values are excluded, never used."""

    source: str
    rows: int
    problems: tuple[str, ...] = ()
    invalid_values: dict[str, int] = field(default_factory=dict)  # metric -> count
    missing_architectures: int = 0
    duplicate_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source, "rows": self.rows, "ok": self.ok,
            "problems": list(self.problems), "invalid_values": dict(self.invalid_values),
            "missing_architectures": self.missing_architectures,
            "duplicate_rows": self.duplicate_rows,
        }


class Table:
    """Metrics per architecture, indexed by canonical architecture string.

    `frame` has one row per architecture (index: canonical string) and one column per
    metric; invalid source values are NaN there and counted in `validation`. Extra
    per-architecture columns (e.g. `arch_index`, `measured_as`) live in `info`.
    """

    def __init__(
        self, name: str, space: str, frame: pd.DataFrame, validation: ValidationReport,
        info: pd.DataFrame | None = None, units: dict[str, str] | None = None,
        device: str | None = None,
    ) -> None:
        self.name = name
        self.space = space
        self.frame = frame
        self.validation = validation
        self.info = info
        self.units = dict(units or {})
        self.device = device

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, arch: object) -> bool:
        key = arch.string if isinstance(arch, Architecture) else arch
        return key in self.frame.index

    def _check_metric(self, metric: str) -> None:
        if metric not in self.frame.columns:
            raise MissingValueError(
                f"table {self.name!r} has no metric {metric!r}; metrics: {', '.join(self.metrics)}"
            )

    def value(self, arch: Architecture | str, metric: str) -> float:
        """The metric of one architecture; MissingValueError when absent or invalid."""
        self._check_metric(metric)
        key = arch.string if isinstance(arch, Architecture) else arch
        if key not in self.frame.index:
            raise MissingValueError(
                f"table {self.name!r} has no row for architecture {key}; "
                "check the space and the string"
            )
        value = self.frame.at[key, metric]
        if value is None or not np.isfinite(value):
            raise MissingValueError(
                f"table {self.name!r} holds no valid {metric} for {key} "
                "(the source value was missing or impossible, see its validation report)"
            )
        return float(value)

    def values(self, metric: str, archs: Iterable[Architecture | str] | None = None) -> np.ndarray:
        """Metric values as an array (NaN where invalid), for `archs` or every row."""
        self._check_metric(metric)
        column = self.frame[metric]
        if archs is None:
            return column.to_numpy(dtype=float)
        keys = [a.string if isinstance(a, Architecture) else a for a in archs]
        return column.reindex(keys).to_numpy(dtype=float)

    def valid(self, metric: str) -> pd.Series:
        """The metric's valid values (index: canonical string)."""
        self._check_metric(metric)
        return self.frame[metric].dropna()

    def architectures(self) -> list[Architecture]:
        return [Architecture(self.space, s) for s in self.frame.index]

    def summary(self) -> dict[str, object]:
        metrics = {}
        for metric in self.metrics:
            column = self.frame[metric].dropna()
            metrics[metric] = {
                "unit": self.units.get(metric, ""),
                "valid": int(column.size),
                "min": float(column.min()) if column.size else None,
                "median": float(column.median()) if column.size else None,
                "max": float(column.max()) if column.size else None,
            }
        return {
            "name": self.name, "space": self.space, "device": self.device,
            "architectures": len(self), "metrics": metrics,
            "validation": self.validation.to_dict(),
        }


def invalid_mask(values: pd.Series, metric: str) -> pd.Series:
    """Values that cannot be real: NaN, +-inf, and for latency/energy/variance a value <= 0
    (< 0)."""
    numeric = values.astype(float)
    mask = numeric.isna() | ~np.isfinite(numeric.fillna(0.0))
    if metric.endswith(("_ms", "_mj", "_mb")) or "latency" in metric or "energy" in metric:
        mask |= values <= 0 if not metric.endswith("_ms2") else values < 0
    elif metric.endswith(("_acc", "_acc_pct")):
        mask |= (values < 0) | (values > 100)
    return mask


def count_missing_indices(indices: Sequence[int], expected: int) -> int:
    return expected - len(set(int(i) for i in indices) & set(range(expected)))
