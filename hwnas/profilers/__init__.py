"""Profilers: real latency (and energy) of a model on a device, one shared protocol.

See `hwnas.profilers._base` for how to write a profiler.
"""

from __future__ import annotations

from hwnas.profilers._base import (
    PROFILERS,
    Profiler,
    ProfilingError,
    create_profiler,
    list_profilers,
    profile,
)
from hwnas.profilers._environment import host_environment, package_versions
from hwnas.profilers._model import ModelSource, as_model_source
from hwnas.profilers._settings import PRECISIONS, ProfileSettings
from hwnas.profilers._stats import median_ci, median_ci_fraction, summarize
from hwnas.profilers._table import (
    KEY_COLUMNS,
    MEASUREMENT_COLUMNS,
    MeasurementWriter,
    measurement_row,
    row_key,
)
from hwnas.profilers._tvm_rpc import RpcProcess, start_server, start_tracker, stop_process_tree
from hwnas.profilers._tvm_tune import TuningReport, tune_tvm

__all__ = [
    "KEY_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "MeasurementWriter",
    "measurement_row",
    "row_key",
    "PRECISIONS",
    "PROFILERS",
    "RpcProcess",
    "ModelSource",
    "ProfileSettings",
    "Profiler",
    "ProfilingError",
    "as_model_source",
    "create_profiler",
    "host_environment",
    "list_profilers",
    "median_ci",
    "median_ci_fraction",
    "package_versions",
    "profile",
    "start_server",
    "start_tracker",
    "stop_process_tree",
    "summarize",
    "TuningReport",
    "tune_tvm",
]
