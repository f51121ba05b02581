"""Latency tables: one measured latency per block, saved as a versioned JSON file.

A table is checked when it is loaded: every block latency must be a finite positive number
(the empty-graph overhead may be 0) and the correction finite, else the load fails with one
line naming the block; a sum over an impossible entry would be a silent wrong prediction."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core import (
    ConfigError,
    DataError,
    ManifestFormat,
    check_manifest,
    read_manifest,
    utc_now_iso,
    write_manifest,
)
from hwnas.lut._blocks import OVERHEAD_KEY, block_latency_ms, spaces_with_blocks
from hwnas.spaces import create_space

FORMAT_NAME = "hwnas-latency-table"
FORMAT_VERSION = 1
TABLE_FORMAT = ManifestFormat(
    FORMAT_NAME,
    (FORMAT_VERSION,),
    DataError,
    missing="latency table {path} does not exist; build one with `hwnas lut build`",
    not_json="{path} is not JSON ({error}); rebuild it with `hwnas lut build`",
    wrong_format="{path} is not an hwnas latency table (format {format!r})",
    wrong_version=(
        "{path} is latency-table format version {version}; this hwnas reads version "
        "{supported}: rebuild it with `hwnas lut build`"
    ),
)


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
        total = create_space(self.space).latency_sum(
            genes, lambda key: block_latency_ms(entries, key), self.input_shape,
            self.num_classes, prune,
        )
        if total is None:
            raise ConfigError(
                f"latency tables support {' and '.join(spaces_with_blocks())}, not {self.space!r}"
            )
        return total

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
        """Write the table as JSON (atomically: a reader never sees half a file)."""
        return write_manifest(path, self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "table") -> LatencyTable:
        check_manifest(data, TABLE_FORMAT, source)
        try:
            correction = data.get("correction")
            return cls(
                space=str(data["space"]),
                device=str(data["device"]),
                profiler=str(data["profiler"]),
                input_shape=tuple(int(d) for d in data["input_shape"]),  # type: ignore[arg-type]
                num_classes=int(data["num_classes"]),
                entries_ms=_checked_entries(data["entries_ms"], source),
                environment=dict(data.get("environment") or {}),
                correction=None if not correction else _checked_correction(correction, source),
                validation=data.get("validation"),
                created=str(data.get("created", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DataError(
                f"{source} is an incomplete latency table ({error}); rebuild it"
            ) from None


def _checked_entries(entries: Mapping[str, Any], source: str) -> dict[str, float]:
    """Block latencies as floats; a non-finite or non-positive one (the overhead: negative)
    refuses the whole table, naming the block: a sum over it would be meaningless."""
    if not isinstance(entries, Mapping):
        raise DataError(f"latency table {source}: entries_ms is {type(entries).__name__}, not an "
                        "object of block -> latency; rebuild it with `hwnas lut build`")
    out: dict[str, float] = {}
    for key, value in entries.items():
        number = float(value)
        floor_ok = number >= 0 if key == OVERHEAD_KEY else number > 0
        if not (math.isfinite(number) and floor_ok):
            raise DataError(
                f"latency table {source}: block {key!r} has latency {value!r} ms, not a finite "
                f"{'non-negative' if key == OVERHEAD_KEY else 'positive'} number; remeasure it "
                "(rebuild the table with `hwnas lut build`)"
            )
        out[str(key)] = number
    return out


def _checked_correction(correction: Mapping[str, Any], source: str) -> Correction:
    found = Correction(float(correction["slope"]), float(correction["intercept_ms"]),
                       int(correction.get("fitted_on", 0)))
    if not (math.isfinite(found.slope) and math.isfinite(found.intercept_ms)):
        raise DataError(
            f"latency table {source}: its correction (slope {found.slope}, intercept "
            f"{found.intercept_ms} ms) is not finite; refit it or rebuild the table"
        )
    return found


def load_table(path: str | Path) -> LatencyTable:
    """Read a latency table written by `LatencyTable.save` / `hwnas lut build`."""
    return LatencyTable.from_dict(read_manifest(path, TABLE_FORMAT), str(Path(path)))
