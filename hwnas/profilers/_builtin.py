"""Import the built-in profilers so that they register (heavy libraries load lazily)."""

from __future__ import annotations

from hwnas.profilers import (
    _onnxruntime,  # noqa: F401
    _roofline,  # noqa: F401
    _tensorrt,  # noqa: F401
    _torch_cuda,  # noqa: F401
    _tvm,  # noqa: F401
)
