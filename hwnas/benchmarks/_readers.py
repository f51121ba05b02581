"""Readers for benchmark data files: NAS-Bench-201 accuracy, Pi 5 measurements,
generic measurement CSV/Parquet, and the published HW-NAS-Bench pickle."""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwnas.benchmarks._data import find_data_dir
from hwnas.benchmarks._table import Table, ValidationReport, count_missing_indices, invalid_mask
from hwnas.core import Architecture, DataError, InvalidArchitectureError
from hwnas.spaces import create_space

NB201_SIZE = 15625
ACCURACY_METRICS = ("cifar10_test_acc", "cifar100_test_acc", "imagenet16_120_test_acc")
PI5_QUANTITIES = {"latency_ms": "ms", "latency_var_ms2": "ms^2", "energy_mj": "mJ"}
_NOT_METRICS = {"arch", "arch_id", "device", "space", "profiler", "precision", "timestamp",
                "arch_index", "measured_as", "status", "noisy", "framework", "task"}


def _read_frame(path: Path, **options: Any) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path} does not exist; check the path (or set HWNAS_DATA)")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, **options)
            # Arrow decodes text lazily: bad UTF-8 would surface later, far from the read
            text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
            return frame.astype(dict.fromkeys(text, object))
        return pd.read_csv(path, **options)
    except Exception as error:  # noqa: BLE001  (whatever the parser raises: unreadable file)
        raise DataError(
            f"cannot read {path}: {first_line(error)}; is it a CSV/Parquet table?") from None


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error's message (parsers write several), at most `limit` chars."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _numeric(frame: pd.DataFrame, column: str, problems: list[str]) -> pd.Series:
    """A column as floats; cells that are not numbers become NaN and are reported."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = int((values.isna() & frame[column].notna()).sum())
    if bad:
        problems.append(f"{bad} non-numeric value(s) of {column} excluded")
    return values.astype(float)


def _mostly_numeric(values: pd.Series) -> bool:
    """Whether at least half the filled cells of a text column are numbers (a metric with
    a few damaged cells, not a label column)."""
    filled = values.dropna()
    return len(filled) > 0 and pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns))
        found = found if len(found) <= 200 else found[:197] + "..."
        raise DataError(f"{path} lacks column(s) {', '.join(missing)}; found {found}")


def _default(name: str) -> Path:
    folder = find_data_dir(required=True)
    assert folder is not None  # required=True raises instead
    return folder / "nb201" / name


def _canonical_strings(
    strings: pd.Series, space_name: str, problems: list[str]
) -> pd.Series:
    """Canonical strings, NaN for rows that do not parse (counted in `problems`)."""
    space = create_space(space_name)
    out = []
    bad = 0
    first_error = ""
    for value in strings.astype(str):
        try:
            out.append(space.parse(value).string)
        except InvalidArchitectureError as error:
            bad += 1
            first_error = first_error or str(error)
            out.append(None)
    if bad:
        problems.append(f"{bad} row(s) with malformed architectures dropped (first: {first_error})")
    return pd.Series(out, index=strings.index, dtype=object)


def _validate_metrics(
    frame: pd.DataFrame, metrics: Sequence[str], problems: list[str]
) -> dict[str, int]:
    invalid: dict[str, int] = {}
    for metric in metrics:
        mask = invalid_mask(frame[metric], metric)
        if mask.any():
            invalid[metric] = int(mask.sum())
            frame.loc[mask, metric] = np.nan
            problems.append(f"{int(mask.sum())} impossible or missing value(s) of {metric} excluded")
    return invalid


def read_nb201_accuracy(path: str | Path | None = None) -> Table:
    """NATS-Bench / NAS-Bench-201 test accuracies (percent), one row per cell."""
    source = Path(path) if path is not None else _default("accuracy.csv")
    frame = _read_frame(source)
    _require_columns(frame, ("arch_index", "arch", *ACCURACY_METRICS), source)
    problems: list[str] = []
    index = pd.to_numeric(frame["arch_index"], errors="coerce")
    whole = index.notna() & np.isfinite(index.fillna(0.0)) & (index == index.round())
    if not whole.all():
        problems.append(f"{int((~whole).sum())} row(s) without an integer arch_index dropped")
        frame = frame[whole].copy()
    frame["arch_index"] = index[whole].astype(int)
    for metric in ACCURACY_METRICS:
        frame[metric] = _numeric(frame, metric, problems)
    frame["canonical"] = _canonical_strings(frame["arch"], "nb201", problems)
    frame = frame.dropna(subset=["canonical"])
    duplicates = int(frame.duplicated("canonical").sum() + frame.duplicated("arch_index").sum())
    if duplicates:
        problems.append(f"{duplicates} duplicate architecture row(s); the first of each is kept")
        frame = frame.drop_duplicates("canonical").drop_duplicates("arch_index")
    missing = count_missing_indices(frame["arch_index"].tolist(), NB201_SIZE)
    if missing:
        problems.append(f"{missing} of the {NB201_SIZE} NAS-Bench-201 architectures are missing")
    frame = frame.set_index("canonical")
    metrics = frame[list(ACCURACY_METRICS)].astype(float).copy()
    invalid = _validate_metrics(metrics, ACCURACY_METRICS, problems)
    report = ValidationReport(str(source), len(frame), tuple(problems), invalid, missing, duplicates)
    return Table("nb201-accuracy", "nb201", metrics, report, info=frame[["arch_index"]],
                 units={m: "percent" for m in ACCURACY_METRICS})


def _arch_by_index(accuracy_path: str | Path | None, near: Path) -> pd.Series:
    """NAS-Bench-201 index -> canonical string, from the accuracy table."""
    path = Path(accuracy_path) if accuracy_path is not None else near.parent / "accuracy.csv"
    if not path.is_file():
        raise DataError(
            f"architecture strings come from the accuracy table, not found at {path}; "
            "pass accuracy_path"
        )
    table = read_nb201_accuracy(path)
    assert table.info is not None
    return pd.Series(table.info.index, index=table.info["arch_index"].to_numpy())


def read_pi5_measurements(
    path: str | Path | None = None, accuracy_path: str | Path | None = None
) -> Table:
    """Raspberry Pi 5 latency/energy of every NB201 cell, per framework and task.

    Metrics are named `framework/task/quantity`, e.g. `onnx/cifar100/latency_ms`.
    `info` holds `arch_index` and `measured_as` (the isomorphic cell actually measured).
    """
    source = Path(path) if path is not None else _default("pi5_latency_energy.csv.gz")
    frame = _read_frame(source)
    _require_columns(
        frame, ("arch_index", "measured_as", "framework", "task", *PI5_QUANTITIES, "status"), source
    )
    problems: list[str] = []
    keys = ["arch_index", "framework", "task"]
    duplicates = int(frame.duplicated(keys).sum())
    if duplicates:
        problems.append(f"{duplicates} duplicate (arch, framework, task) row(s); the first is kept")
        frame = frame.drop_duplicates(keys)
    failed = frame["status"] != "ok"
    if failed.any():
        problems.append(f"{int(failed.sum())} row(s) with status other than ok excluded")
        frame.loc[failed, list(PI5_QUANTITIES)] = np.nan
    arch = _arch_by_index(accuracy_path, source)
    too_fast = _faster_than_peak(frame, arch, "raspberry-pi-5")
    for (framework, task), count in frame[too_fast].groupby(["framework", "task"]).size().items():
        problems.append(
            f"{count} {framework}/{task} measurement(s) faster than the network's FLOPs at the "
            "device's peak FLOP/s (impossible: nothing was really run) excluded"
        )
    frame.loc[too_fast, list(PI5_QUANTITIES)] = np.nan
    wide = frame.pivot(index="arch_index", columns=["framework", "task"], values=list(PI5_QUANTITIES))
    wide.columns = [f"{fw}/{task}/{quantity}" for quantity, fw, task in wide.columns]
    wide = wide[sorted(wide.columns)]
    invalid = _validate_metrics(wide, list(wide.columns), problems)
    missing = count_missing_indices(wide.index.tolist(), NB201_SIZE)
    if missing:
        problems.append(f"{missing} of the {NB201_SIZE} NAS-Bench-201 architectures are missing")
    unknown = ~wide.index.isin(arch.index)
    if unknown.any():
        problems.append(f"{int(unknown.sum())} arch_index value(s) not in the accuracy table dropped")
        wide = wide[~unknown]
    measured_as = frame.drop_duplicates("arch_index").set_index("arch_index")["measured_as"]
    info = pd.DataFrame(
        {"arch_index": wide.index.to_numpy(), "measured_as": measured_as.reindex(wide.index).to_numpy()},
        index=arch.reindex(wide.index).to_numpy(),
    )
    wide.index = info.index
    units = {c: PI5_QUANTITIES[c.rsplit("/", 1)[1]] for c in wide.columns}
    report = ValidationReport(str(source), len(frame), tuple(problems), invalid, missing, duplicates)
    return Table("pi5", "nb201", wide, report, info=info, units=units, device="raspberry-pi-5")


PI5_TASK_SHAPES: dict[str, tuple[tuple[int, int, int], int]] = {
    "cifar100": ((3, 32, 32), 100),
    "ninapro": ((1, 52, 16), 18),
    "darcy": ((1, 88, 88), 1),
}


def _faster_than_peak(frame: pd.DataFrame, arch: pd.Series, device: str) -> pd.Series:
    """Rows whose latency is below the network's FLOPs at the device's peak FP32 rate.

    The Pi 5 LiteRT column holds such values (about 3 microseconds with zero variance
    for cells whose output does not depend on the input): the converter folded the
    network away, so they measure nothing.
    """
    from hwnas.devices import get_device

    peak_gflops = get_device(device).peak_gflops_for("fp32")
    if not peak_gflops:
        return pd.Series(False, index=frame.index)
    space = create_space("nb201")
    archs = {index: Architecture(space.name, string) for index, string in arch.items()}
    floors: dict[tuple[int, str], float] = {}
    for task, (shape, classes) in PI5_TASK_SHAPES.items():
        for index, architecture in archs.items():
            flops = space.cost(architecture, shape, classes).flops  # type: ignore[attr-defined]
            floors[(index, task)] = flops / (peak_gflops * 1e9) * 1e3
    # Rows that share `measured_as` are copies of one measurement of that cell's network.
    measured = frame["measured_as"] if "measured_as" in frame else frame["arch_index"]
    floor = pd.Series(
        [floors.get((int(i), str(t)), 0.0) for i, t in zip(measured, frame["task"])],
        index=frame.index,
    )
    return frame["latency_ms"] < floor


def _drop_torn_rows(frame: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    """Rows whose `environment` cell (hwnas profile's last column) is not whole JSON were
    torn by a crash inside a write: the writer keeps them in the file and does not count
    them, and neither does the table."""
    if "environment" not in frame.columns:
        return frame

    def whole(cell: Any) -> bool:
        if not isinstance(cell, str):
            return True  # empty (NaN) or a number: nothing to check
        try:
            json.loads(cell)
        except ValueError:
            return False
        return True

    keep = frame["environment"].map(whole).astype(bool)
    if not keep.all():
        problems.append(f"{int((~keep).sum())} torn row(s) (environment not whole JSON) excluded")
    return frame[keep].copy()


def read_measurement_table(
    path: str | Path, space: str = "nb201", name: str | None = None
) -> Table:
    """A generic measurement CSV/Parquet: columns `arch`, `device`, then numeric metrics.

    With one device, metrics keep their column names (`latency_p50_ms`); with several
    they are named `device/column`. Repeated (arch, device) rows are reported and
    combined by their median.
    """
    source = Path(path)
    frame = _read_frame(source)
    _require_columns(frame, ("arch", "device"), source)
    problems: list[str] = []
    frame = _drop_torn_rows(frame, problems)
    unnamed = frame["arch"].isna() | frame["device"].isna()
    if unnamed.any():
        problems.append(f"{int(unnamed.sum())} row(s) without arch or device dropped")
        frame = frame[~unnamed].copy()
    for column in frame.columns:
        if column not in _NOT_METRICS and not pd.api.types.is_numeric_dtype(frame[column]) \
                and _mostly_numeric(frame[column]):
            frame[column] = _numeric(frame, column, problems)
    frame["canonical"] = _canonical_strings(frame["arch"], space, problems)
    frame = frame.dropna(subset=["canonical"])
    metric_columns = [
        c for c in frame.columns
        if c not in _NOT_METRICS and c != "canonical" and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if not metric_columns:
        raise DataError(f"{source} has no numeric metric columns (e.g. latency_p50_ms)")
    duplicates = int(frame.duplicated(["canonical", "device"]).sum())
    if duplicates:
        problems.append(f"{duplicates} repeated (arch, device) row(s) combined by their median")
    devices = sorted(frame["device"].astype(str).unique())
    grouped = frame.groupby(["canonical", "device"])[metric_columns].median()
    if len(devices) == 1:
        wide = grouped.droplevel("device")
    else:
        wide = grouped.unstack("device")
        wide.columns = [f"{device}/{column}" for column, device in wide.columns]
    wide = wide.astype(float)
    invalid = _validate_metrics(wide, list(wide.columns), problems)
    report = ValidationReport(str(source), len(frame), tuple(problems), invalid, 0, duplicates)
    return Table(name or source.stem, space, wide, report,
                 device=devices[0] if len(devices) == 1 else None)


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numbers only: no code from the file runs."""

    _ALLOWED = {
        ("collections", "OrderedDict"), ("builtins", "dict"), ("builtins", "list"),
        ("builtins", "tuple"), ("builtins", "float"), ("builtins", "int"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise DataError(
            f"the HW-NAS-Bench file asks to load {module}.{name}, which a data file never "
            "needs; refusing (is this the published HW-NAS-Bench-v1_0.pickle?)"
        )


def read_hwnasbench(
    path: str | Path, accuracy_path: str | Path | None = None
) -> Table:
    """The NAS-Bench-201 part of the published HW-NAS-Bench file (a pickle).

    It is loaded only from the path the user names, with an unpickler that accepts
    plain containers and numbers only. Metrics are named `dataset/metric`, e.g.
    `cifar100/edgegpu_latency` (ms) or `cifar100/edgegpu_energy` (mJ); architecture
    strings come from the NAS-Bench-201 accuracy table (`accuracy_path`, default the
    shared data folder).
    """
    source = Path(path)
    if not source.is_file():
        raise DataError(f"{source} does not exist; name the HW-NAS-Bench pickle you downloaded")
    try:
        with source.open("rb") as handle:
            data = _SafeUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise DataError(f"{source} is not a readable HW-NAS-Bench pickle: {error}") from None
    if not isinstance(data, Mapping) or "nasbench201" not in data:
        raise DataError(f"{source} has no 'nasbench201' section; is it HW-NAS-Bench-v1_0.pickle?")
    columns: dict[str, np.ndarray] = {}
    for dataset, metrics in data["nasbench201"].items():
        if not isinstance(metrics, Mapping):
            continue
        for metric, values in metrics.items():
            array = np.asarray(values, dtype=float) if isinstance(values, (list, tuple, np.ndarray)) else None
            if array is not None and array.ndim == 1:
                columns[f"{dataset}/{metric}"] = array
    if not columns:
        raise DataError(f"{source}: no per-architecture metric lists in the 'nasbench201' section")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise DataError(f"{source}: metric lists differ in length ({sorted(lengths)})")
    problems: list[str] = []
    count = lengths.pop()
    if count != NB201_SIZE:
        problems.append(f"{NB201_SIZE - count} of the {NB201_SIZE} architectures are missing")
    arch = _arch_by_index(
        accuracy_path, Path(accuracy_path) if accuracy_path else _default("accuracy.csv")
    )
    frame = pd.DataFrame(columns, index=range(count))
    frame.index = arch.reindex(frame.index).to_numpy()
    frame = frame[frame.index.notna()]
    invalid = _validate_metrics(frame, list(frame.columns), problems)
    units = {c: ("ms" if c.endswith("latency") else "mJ" if c.endswith("energy") else "")
             for c in frame.columns}
    report = ValidationReport(str(source), count, tuple(problems), invalid, NB201_SIZE - count, 0)
    return Table("hwnasbench", "nb201", frame, report, units=units)
