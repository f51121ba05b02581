"""HW-NAS-Bench's CIFAR-10 latency of every NAS-Bench-201 cell on four devices.

The file (`nb201/hwnasbench_cifar10_latency.csv.gz`, as redistributed by the HELP study)
has one row per cell: `arch_index` and the latency in ms on a Raspberry Pi 4, a Pixel 3,
HW-NAS-Bench's FPGA and its Eyeriss model. Two things need care:

- **Impossible values.** Cells whose output does not depend on the input were folded
  away by the TensorFlow Lite converter: about 0.01 ms on the Raspberry Pi 4, 0.003 ms on
  the Pixel 3. A value below the network's live FLOPs at the device's catalog peak (FP32
  when the catalog lists it, else the highest rate it lists) measures nothing and is
  excluded, as the Pi 5 table's LiteRT column is. The floor counts the pruned network's
  FLOPs (a converter may drop dead ops; it cannot skip live ones). Every such cell computes
  an output that does not depend on its input, and one folded member shows that the
  class's network folds to a constant: the other members' timings (0.1 to 30 ms for one
  class) measure how far the converter folded it, so the whole class is excluded (341
  cells, the 5 input-independent classes, on both phones).
- **Isomorphic cells.** Each cell was measured (or simulated) on its own, so the members
  of one isomorphism class carry different numbers. A search never evaluates two members
  of a class, so a per-cell number would reward whichever member it happened to draw.
  Each metric is therefore the **median over the valid measurements of the class's
  members**, given to every member; the per-cell values stay in `info`
  (`<device>_latency_ms_cell`), and `info["class_representative"]` names the class's
  representative (the member with the fewest ops), the network the class value describes
  for a model of the values (`ObjectiveSource.executed`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hwnas.benchmarks._readers import _arch_by_index, _default, _read_frame, _require_columns
from hwnas.benchmarks._table import Table, ValidationReport, count_missing_indices

NB201_SIZE = 15625
# column -> the catalog device whose peak bounds it from below
HWNASBENCH_DEVICES = {
    "raspi4_latency_ms": "raspberry-pi-4",
    "pixel3_latency_ms": "pixel-3",
    "fpga_latency_ms": "fpga-zc706",
    "eyeriss_latency_ms": "eyeriss",
}
CIFAR10_SHAPE = ((3, 32, 32), 10)
TABLE_NAME = "hwnasbench-cifar10"


def peak_gflops(device: str) -> float | None:
    """The rate a latency floor uses: the catalog's FP32 peak, else its highest listed peak."""
    from hwnas.devices import get_device

    spec = get_device(device)
    peak = spec.peak_gflops_for("fp32")
    if peak:
        return float(peak)
    return max((float(v) for v in spec.peak_gflops.values()), default=None)


def live_flops(strings: list[str]) -> np.ndarray:
    """Each CIFAR-10 cell network's live (pruned) FLOPs: the least work any run must do."""
    from hwnas.spaces import create_space

    space = create_space("nb201")
    shape, classes = CIFAR10_SHAPE
    return np.array([space.cost(s, shape, classes, prune=True).flops  # type: ignore[attr-defined]
                     for s in strings], dtype=float)


def read_hwnasbench_latency(
    path: str | Path | None = None, accuracy_path: str | Path | None = None
) -> Table:
    """HW-NAS-Bench CIFAR-10 latency (ms) per NB201 cell, as class medians (module docstring).

    Metrics: `raspi4_latency_ms`, `pixel3_latency_ms`, `fpga_latency_ms`,
    `eyeriss_latency_ms`. Architecture strings come from the accuracy table
    (`accuracy_path`, default `accuracy.csv` beside the file).
    """
    from hwnas.spaces import create_space

    source = Path(path) if path is not None else _default("hwnasbench_cifar10_latency.csv.gz")
    frame = _read_frame(source)
    metrics = [c for c in HWNASBENCH_DEVICES if c in frame.columns]
    _require_columns(frame, ("arch_index", *(metrics or ["raspi4_latency_ms"])), source)
    problems: list[str] = []
    duplicates = int(frame.duplicated("arch_index").sum())
    if duplicates:
        problems.append(f"{duplicates} duplicate arch_index row(s); the first of each is kept")
        frame = frame.drop_duplicates("arch_index")
    arch = _arch_by_index(accuracy_path, source)
    unknown = ~frame["arch_index"].isin(arch.index)
    if unknown.any():
        problems.append(
            f"{int(unknown.sum())} arch_index value(s) not in the accuracy table dropped")
        frame = frame[~unknown]
    frame = frame.set_index("arch_index").sort_index()
    strings = arch.reindex(frame.index).astype(str).tolist()
    cells = frame[metrics].astype(float)
    cells.index = pd.Index(strings)
    invalid: dict[str, int] = {}
    flops = live_flops(strings)
    space = create_space("nb201")
    keys = pd.Series([space.isomorphism_key(s) for s in strings], index=cells.index)
    for metric in metrics:
        column = cells[metric]
        bad = column.isna() | ~np.isfinite(column.fillna(0.0)) | (column <= 0)
        if bad.any():
            problems.append(
                f"{int(bad.sum())} missing or non-positive value(s) of {metric} excluded")
        peak = peak_gflops(HWNASBENCH_DEVICES[metric])
        if peak:
            too_fast = ~bad & (column < flops / (peak * 1e9) * 1e3)
            if too_fast.any():
                problems.append(
                    f"{int(too_fast.sum())} {metric} value(s) faster than the network's live FLOPs "
                    f"at {HWNASBENCH_DEVICES[metric]}'s peak {peak:g} GFLOP/s (impossible: the "
                    "converter folded a network whose output does not depend on its input) "
                    "excluded")
            if too_fast.any():  # one folded member shows the class's network folds away
                folded = keys[too_fast.to_numpy()].unique()
                whole = keys.isin(folded).to_numpy() & ~too_fast.to_numpy() & ~bad.to_numpy()
                problems.append(
                    f"{int(whole.sum())} more {metric} value(s) of the same {len(folded)} "
                    "isomorphism class(es) excluded (a network the converter can fold to a "
                    "constant: what was timed depends on how far it folded)")
                too_fast |= whole
            bad |= too_fast
        if bad.any():
            invalid[metric] = int(bad.sum())
            cells.loc[bad, metric] = np.nan
    medians = cells.groupby(keys.to_numpy()).transform("median")  # NaN members are skipped
    medians.index = cells.index
    representatives = {key: space.canonical(s).string for s, key in keys.items()}
    index_of = dict(zip(strings, frame.index, strict=True))
    info = pd.DataFrame({"arch_index": frame.index.to_numpy(),
                         "class_representative": [index_of[representatives[k]]
                                                  for k in keys.to_numpy()]},
                        index=cells.index)
    for metric in metrics:
        info[f"{metric}_cell"] = frame[metric].to_numpy(dtype=float)
    missing = count_missing_indices(frame.index.tolist(), NB201_SIZE)
    if missing:
        problems.append(f"{missing} of the {NB201_SIZE} NAS-Bench-201 architectures are missing")
    report = ValidationReport(str(source), len(frame), tuple(problems), invalid, missing,
                              duplicates)
    return Table(TABLE_NAME, "nb201", medians[metrics], report, info=info,
                 units={m: "ms" for m in metrics})


def class_spread(table: Table, metric: str) -> dict[str, float]:
    """How far members of an isomorphism class lie from their class median (valid cells of
    classes with two or more members): median and 90th percentile of |cell - median| /
    median, and the share of such cells more than 10% away."""
    if table.info is None or f"{metric}_cell" not in table.info:
        return {}
    cells = table.info[f"{metric}_cell"].astype(float)
    medians = table.frame[metric]
    classes = table.info["class_representative"]
    sizes = classes.map(classes.value_counts())
    valid = medians.notna() & cells.notna() & (sizes > 1) & (cells > 0)
    if not valid.any():
        return {}
    deviation = ((cells - medians).abs() / medians)[valid]
    return {"cells": int(valid.sum()), "median": float(deviation.median()),
            "p90": float(deviation.quantile(0.9)),
            "share_over_10pct": float((deviation > 0.10).mean())}
