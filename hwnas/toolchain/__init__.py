"""Toolchain: torch -> ONNX conversion and its numerical check, and the Apache TVM build.

The low-level steps that profilers, latency tables and export all build on. Importing
this package is cheap: torch, ONNX Runtime and TVM load inside functions.
"""

from __future__ import annotations

from hwnas.toolchain._onnx import (
    DEFAULT_OPSET,
    DEFAULT_TOLERANCE,
    ExportError,
    export_onnx,
    max_abs_error_vs_torch,
    reinitialize_weights,
)
from hwnas.toolchain._tvm import (
    AARCH64_TARGET,
    DEFAULT_CROSS_COMPILER,
    HOST_TARGET,
    MODULE_EQUALITY,
    as_target_dict,
    build,
    build_with_coverage,
    device_target,
    export_library,
    has_record,
    import_tvm,
    is_cross_target,
    open_database,
    relax_module,
    require_cross_compiler,
)

__all__ = [
    "AARCH64_TARGET",
    "DEFAULT_CROSS_COMPILER",
    "DEFAULT_OPSET",
    "DEFAULT_TOLERANCE",
    "HOST_TARGET",
    "MODULE_EQUALITY",
    "ExportError",
    "as_target_dict",
    "build",
    "build_with_coverage",
    "device_target",
    "export_library",
    "export_onnx",
    "has_record",
    "import_tvm",
    "is_cross_target",
    "max_abs_error_vs_torch",
    "open_database",
    "reinitialize_weights",
    "relax_module",
    "require_cross_compiler",
]
