"""Export: ONNX files verified against torch."""

from __future__ import annotations

from hwnas.export._onnx import (
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
    "ExportError",
    "export_onnx",
    "max_abs_error_vs_torch",
    "reinitialize_weights",
]
