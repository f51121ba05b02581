"""Profilers: real latency (and energy) of a model on a device, one shared protocol.

See `hwnas.profilers._base` for how to write a profiler. Importing this package registers
the built-in profilers (cheap: their heavy libraries load when a profiler is used);
third-party ones arrive through the `hwnas.profilers` entry-point group on first lookup.
"""

from __future__ import annotations

# The built-ins register here (not from the registry: no registry module imports its plugins).
from hwnas.profilers import _builtin  # noqa: F401
from hwnas.profilers._base import (
    PROFILERS,
    Profiler,
    ProfilingError,
    create_profiler,
    list_profilers,
    profile,
)
from hwnas.profilers._batch import BatchReport, profile_many, tuning_database
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
from hwnas.profilers._tensorrt_local import build_engine, local_unavailable_reason
from hwnas.profilers._trtexec import TrtVersion, trtexec_flags
from hwnas.profilers._tvm_rpc import RpcProcess, start_server, start_tracker, stop_process_tree
from hwnas.profilers._tvm_tune import TuningReport, tune_tvm

__all__ = [
    "KEY_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "PRECISIONS",
    "PROFILERS",
    "BatchReport",
    "MeasurementWriter",
    "ModelSource",
    "ProfileSettings",
    "Profiler",
    "ProfilingError",
    "RpcProcess",
    "TrtVersion",
    "TuningReport",
    "as_model_source",
    "build_engine",
    "create_profiler",
    "host_environment",
    "list_profilers",
    "local_unavailable_reason",
    "measurement_row",
    "median_ci",
    "median_ci_fraction",
    "package_versions",
    "profile",
    "profile_many",
    "row_key",
    "start_server",
    "start_tracker",
    "stop_process_tree",
    "summarize",
    "trtexec_flags",
    "tune_tvm",
    "tuning_database",
]
