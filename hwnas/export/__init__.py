"""Export: verified ONNX files out of a run, TensorRT / TVM builds, and the deploy check.

Importing this package is cheap: torch, onnx, TVM and TensorRT load inside functions.
"""

from __future__ import annotations

from hwnas.export._deploy import DeployReport, MetricComparison, comparison_rows, deploy_check
from hwnas.export._export import (
    ExportResult,
    export_architecture,
    export_from_run,
    parse_input_shape,
    pick_from_run,
    run_settings,
)
from hwnas.export._metadata import (
    ModelFileError,
    OutputExistsError,
    read_metadata,
    refuse_existing,
    write_metadata,
)
from hwnas.export._pick import (
    PICK_RULES,
    Pick,
    accuracy_objective,
    front,
    knee_distances,
    latency_objective,
    pick_candidate,
)
from hwnas.export._tensorrt import build_or_describe_engine, trtexec_command
from hwnas.export._trained import export_trained_from_run
from hwnas.export._tvm import build_tvm_library, resolve_tvm_target, run_tvm_library
from hwnas.export._weights import WeightsError, read_state_dict
from hwnas.toolchain import (
    DEFAULT_OPSET,
    DEFAULT_TOLERANCE,
    ExportError,
    export_onnx,
    max_abs_error_vs_torch,
    reinitialize_weights,
)

__all__ = [
    "DEFAULT_OPSET",
    "DEFAULT_TOLERANCE",
    "PICK_RULES",
    "DeployReport",
    "ExportError",
    "ExportResult",
    "MetricComparison",
    "ModelFileError",
    "OutputExistsError",
    "Pick",
    "WeightsError",
    "accuracy_objective",
    "build_or_describe_engine",
    "build_tvm_library",
    "comparison_rows",
    "deploy_check",
    "export_architecture",
    "export_from_run",
    "export_onnx",
    "export_trained_from_run",
    "front",
    "knee_distances",
    "latency_objective",
    "max_abs_error_vs_torch",
    "parse_input_shape",
    "pick_candidate",
    "pick_from_run",
    "read_metadata",
    "read_state_dict",
    "refuse_existing",
    "reinitialize_weights",
    "resolve_tvm_target",
    "run_settings",
    "run_tvm_library",
    "trtexec_command",
    "write_metadata",
]
