"""Latency tables: one measured latency per block, saved as a versioned JSON file."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core import ConfigError, DataError, utc_now_iso

FORMAT_NAME = "hwnas-latency-table"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Correction:
    """end_to_end_ms ~= slope * sum_of_blocks_ms + intercept_ms, fitted on measured networks."""

    slope: float = 1.0
    intercept_ms: float = 0.0
    fitted_on: int = 0

    def apply(self, sum_ms: np.ndarray) -> np.ndarray:
        return self.slope * np.asarray(sum_ms, dtype=float) + self.intercept_ms


@dataclass(frozen=True)
class LatencyTable:
    """Block latencies (p50, ms) of one space at one input shape on one device."""

    space: str
    device: str
    profiler: str
    input_shape: tuple[int, int, int]
    num_classes: int
    entries_ms: Mapping[str, float]
    environment: Mapping[str, Any] = field(default_factory=dict)
    correction: Correction | None = None
    validation: Mapping[str, Any] | None = None
    created: str = field(default_factory=utc_now_iso)

    def sum_ms(self, genes: np.ndarray, prune: bool = False) -> np.ndarray:
        """Sum of block latencies for each row of an int gene array (N x genes)."""
        genes = np.asarray(genes, dtype=np.int64)
        entries = dict(self.entries_ms)
        if self.space == "nb201":
            from hwnas.lut._blocks import nb201_position_costs
            from hwnas.predictors._features import nb201_live_edges

            op_cost, add_cost, fixed = nb201_position_costs(
                entries, self.input_shape, self.num_classes
            )
            if not prune:
                return fixed + op_cost[genes].sum(axis=1) + 3 * add_cost[0]
            live = nb201_live_edges(genes)
            total = fixed + np.where(live, op_cost[genes], 0.0).sum(axis=1)
            adds = np.zeros(len(genes))
            for inputs in ((1, 2), (3, 4, 5)):
                adds += np.maximum(live[:, list(inputs)].sum(axis=1) - 1, 0)
            dead_cell = ~live.any(axis=1)  # the pruned cell is one multiply-by-zero
            return total + adds * add_cost[0] + dead_cell * op_cost[0]
        if self.space == "fbnet":
            from hwnas.lut._blocks import fbnet_position_costs

            costs, fixed = fbnet_position_costs(entries, self.input_shape, self.num_classes)
            return fixed + costs[np.arange(costs.shape[0]), genes].sum(axis=1)
        raise ConfigError(f"latency tables support nb201 and fbnet, not {self.space!r}")

    def predict_ms(self, genes: np.ndarray, prune: bool = False) -> np.ndarray:
        """Block sum with the fitted correction applied (if any)."""
        total = self.sum_ms(genes, prune)
        return self.correction.apply(total) if self.correction else total

    def with_correction(
        self, sums_ms: Sequence[float], measured_ms: Sequence[float]
    ) -> LatencyTable:
        """A copy with a least-squares linear correction from end-to-end measurements."""
        x = np.asarray(sums_ms, dtype=float)
        y = np.asarray(measured_ms, dtype=float)
        if len(x) < 2:
            raise ConfigError("a correction needs at least 2 end-to-end measurements")
        # Weighted by 1/y: minimises the squared relative error, what the table is judged by.
        slope, intercept = (
            np.polyfit(x, y, 1, w=1.0 / y) if np.ptp(x) > 0 else (1.0, float(np.mean(y - x)))
        )
        return replace(self, correction=Correction(float(slope), float(intercept), len(x)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "space": self.space,
            "device": self.device,
            "profiler": self.profiler,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "unit": "ms",
            "entries_ms": dict(sorted(self.entries_ms.items())),
            "environment": dict(self.environment),
            "correction": None
            if self.correction is None
            else {
                "slope": self.correction.slope,
                "intercept_ms": self.correction.intercept_ms,
                "fitted_on": self.correction.fitted_on,
            },
            "validation": None if self.validation is None else dict(self.validation),
            "created": self.created,
        }

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_dict(), indent=2, default=str))
        return target

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "table") -> LatencyTable:
        if data.get("format") != FORMAT_NAME:
            raise DataError(
                f"{source} is not an hwnas latency table (format {data.get('format')!r})"
            )
        if data.get("format_version") != FORMAT_VERSION:
            raise DataError(
                f"{source} is latency-table format version {data.get('format_version')}; this "
                f"hwnas reads version {FORMAT_VERSION}: rebuild it with `hwnas lut build`"
            )
        try:
            correction = data.get("correction")
            return cls(
                space=str(data["space"]),
                device=str(data["device"]),
                profiler=str(data["profiler"]),
                input_shape=tuple(int(d) for d in data["input_shape"]),  # type: ignore[arg-type]
                num_classes=int(data["num_classes"]),
                entries_ms={str(k): float(v) for k, v in data["entries_ms"].items()},
                environment=dict(data.get("environment") or {}),
                correction=None
                if not correction
                else Correction(
                    float(correction["slope"]),
                    float(correction["intercept_ms"]),
                    int(correction.get("fitted_on", 0)),
                ),
                validation=data.get("validation"),
                created=str(data.get("created", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(
                f"{source} is an incomplete latency table ({error}); rebuild it"
            ) from None


def load_table(path: str | Path) -> LatencyTable:
    """Read a latency table written by `LatencyTable.save` / `hwnas lut build`."""
    source = Path(path)
    if not source.is_file():
        raise DataError(f"latency table {source} does not exist; build one with `hwnas lut build`")
    try:
        data = json.loads(source.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(
            f"{source} is not JSON ({error}); rebuild it with `hwnas lut build`"
        ) from None
    return LatencyTable.from_dict(data, str(source))
