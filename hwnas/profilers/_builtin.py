"""Import the built-in profilers so that they register (heavy libraries load lazily)."""

from __future__ import annotations

from hwnas.profilers import _onnxruntime  # noqa: F401
from hwnas.profilers import _roofline  # noqa: F401
from hwnas.profilers import _tensorrt  # noqa: F401
from hwnas.profilers import _tvm  # noqa: F401
from hwnas.profilers import _torch_cuda  # noqa: F401
