"""Benchmark tables a user supplies: one `Table` interface over every format."""

from __future__ import annotations

from hwnas.benchmarks._data import DATA_ENV, find_data_dir
from hwnas.benchmarks._hwnasbench import HWNASBENCH_DEVICES, class_spread, read_hwnasbench_latency
from hwnas.benchmarks._open import METRIC_ALIASES, NAMED_TABLES, open_table, resolve_table_metric
from hwnas.benchmarks._readers import (
    PI5_TASK_SHAPES,
    read_hwnasbench,
    read_measurement_table,
    read_nb201_accuracy,
    read_pi5_measurements,
)
from hwnas.benchmarks._table import Table, ValidationReport

__all__ = [
    "DATA_ENV",
    "HWNASBENCH_DEVICES",
    "METRIC_ALIASES",
    "NAMED_TABLES",
    "PI5_TASK_SHAPES",
    "Table",
    "ValidationReport",
    "class_spread",
    "find_data_dir",
    "open_table",
    "read_hwnasbench",
    "read_hwnasbench_latency",
    "read_measurement_table",
    "read_nb201_accuracy",
    "read_pi5_measurements",
    "resolve_table_metric",
]
