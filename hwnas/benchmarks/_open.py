"""Open tables by name or path, and resolve `table:<alias>` objective specs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from hwnas.benchmarks._data import find_data_dir
from hwnas.benchmarks._hwnasbench import HWNASBENCH_DEVICES, TABLE_NAME, read_hwnasbench_latency
from hwnas.benchmarks._readers import (
    first_line,
    read_measurement_table,
    read_nb201_accuracy,
    read_pi5_measurements,
)
from hwnas.benchmarks._table import Table
from hwnas.core import DataError

NAMED_TABLES = {
    "nb201-accuracy": "nb201/accuracy.csv",
    "pi5": "nb201/pi5_latency_energy.csv.gz",
    TABLE_NAME: "nb201/hwnasbench_cifar10_latency.csv.gz",
}

# Short names for table metrics, as typed in `--objectives accuracy=table:cifar100`.
METRIC_ALIASES: dict[str, tuple[str, str]] = {
    "cifar10": ("nb201-accuracy", "cifar10_test_acc"),
    "cifar100": ("nb201-accuracy", "cifar100_test_acc"),
    "imagenet16-120": ("nb201-accuracy", "imagenet16_120_test_acc"),
}
for _framework in ("onnx", "litert", "torchmobile"):
    METRIC_ALIASES[f"pi5-{_framework}"] = ("pi5", f"{_framework}/cifar100/latency_ms")
    METRIC_ALIASES[f"pi5-{_framework}-energy"] = ("pi5", f"{_framework}/cifar100/energy_mj")
for _column in HWNASBENCH_DEVICES:  # hwnasbench-raspi4, -pixel3, -fpga, -eyeriss (CIFAR-10)
    METRIC_ALIASES[f"hwnasbench-{_column.split('_')[0]}"] = (TABLE_NAME, _column)


@lru_cache(maxsize=16)
def _open_cached(kind: str, path: str) -> Table:
    if kind == "nb201-accuracy":
        return read_nb201_accuracy(path)
    if kind == "pi5":
        return read_pi5_measurements(path)
    if kind == TABLE_NAME:
        return read_hwnasbench_latency(path)
    return read_measurement_table(path)


def detect_kind(path: Path) -> str:
    """Which reader a file needs, from its columns."""
    try:
        columns = set(pd.read_csv(path, nrows=0).columns) if path.suffix != ".parquet" else set(
            pd.read_parquet(path).columns
        )
    except Exception as error:  # noqa: BLE001  (whatever the parser raises: unreadable file)
        raise DataError(f"cannot read {path}: {first_line(error)}; is it a CSV/Parquet "
                        "table?") from None
    if {"arch_index", "arch", "cifar100_test_acc"} <= columns:
        return "nb201-accuracy"
    if {"arch_index", "measured_as", "framework", "task"} <= columns:
        return "pi5"
    if "arch_index" in columns and set(HWNASBENCH_DEVICES) & columns:
        return TABLE_NAME
    if {"arch", "device"} <= columns:
        return "measurement"
    raise DataError(
        f"{path}: unknown table layout (columns {', '.join(sorted(columns))}); a measurement "
        "table needs columns arch, device and numeric metrics"
    )


def open_table(name_or_path: str | Path) -> Table:
    """A table by name (`nb201-accuracy`, `pi5`, `hwnasbench-cifar10`) from the data folder,
    or by file path.

    The HW-NAS-Bench pickle is never opened here: call `read_hwnasbench(path)`.
    """
    text = str(name_or_path)
    if text in NAMED_TABLES:
        folder = find_data_dir(required=True)
        assert folder is not None
        return _open_cached(text, str(folder / NAMED_TABLES[text]))
    path = Path(text).expanduser()
    if not path.is_file():
        raise DataError(
            f"{text!r} is neither a table name ({', '.join(NAMED_TABLES)}) nor an existing file"
        )
    if path.suffix == ".pickle" or path.suffix == ".pkl":
        raise DataError(f"{path} is a pickle: read it explicitly with `hwnas bench show --hwnasbench {path}`")
    return _open_cached(detect_kind(path), str(path.resolve()))


def resolve_table_metric(spec: str) -> tuple[Table, str]:
    """A (table, metric) pair from an alias (`cifar100`, `pi5-onnx`), `name:metric` or `path:metric`."""
    if spec in METRIC_ALIASES:
        name, metric = METRIC_ALIASES[spec]
        table = open_table(name)
    elif ":" in spec:
        name, metric = spec.rsplit(":", 1)
        table = open_table(name)
    else:
        raise DataError(
            f"unknown table metric {spec!r}; use an alias ({', '.join(METRIC_ALIASES)}) "
            "or TABLE:METRIC, e.g. pi5:onnx/ninapro/latency_ms"
        )
    if metric not in table.metrics:
        raise DataError(
            f"table {table.name!r} has no metric {metric!r}; metrics: {', '.join(table.metrics)}"
        )
    return table, metric
