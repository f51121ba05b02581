"""ONNX Runtime on this host: CPU execution provider, the CUDA provider when present."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from hwnas.core import ConfigError, DeviceSpec
from hwnas.profilers._base import PROFILERS, Profiler
from hwnas.profilers._environment import package_versions
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings

_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


@dataclass
class _Session:
    session: Any
    feeds: dict[str, Any]
    provider: str
    threads: int | None


def random_feeds(session: Any, batch_size: int, seed: int = 0) -> dict[str, Any]:
    """Random inputs for every session input; a symbolic first dimension is the batch."""
    import numpy as np

    types = {
        "tensor(float)": np.float32,
        "tensor(float16)": np.float16,
        "tensor(int64)": np.int64,
        "tensor(int32)": np.int32,
    }
    rng = np.random.default_rng(seed)
    feeds = {}
    for node in session.get_inputs():
        shape = []
        for position, dim in enumerate(node.shape):
            if isinstance(dim, int) and dim > 0:
                shape.append(dim)
            elif position == 0:
                shape.append(batch_size)
            else:
                raise ConfigError(
                    f"ONNX input {node.name!r} has a symbolic dimension {dim!r} at position "
                    f"{position}; export the model with a fixed input size"
                )
        dtype = types.get(node.type)
        if dtype is None:
            raise ConfigError(f"ONNX input {node.name!r} has unsupported type {node.type}")
        feeds[node.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


@PROFILERS.register("onnxruntime")
class OnnxRuntimeProfiler(Profiler):
    """ONNX Runtime latency on this host.

    `provider` is "auto" (CUDA when onnxruntime-gpu sees a GPU, else CPU), "cpu" or
    "cuda". `settings.threads` sets the intra-op thread pool (inter-op is 1, sequential
    execution, all graph optimisations), so thread counts compare like for like.
    """

    name = "onnxruntime"

    def __init__(self, provider: str = "auto") -> None:
        if provider not in ("auto", *_PROVIDERS):
            raise ConfigError(f"provider must be auto, cpu or cuda, got {provider!r}")
        self.provider = provider

    def unavailable_reason(self) -> str | None:
        if self.provider == "cuda" and self._pick_provider() != _PROVIDERS["cuda"]:
            return "onnxruntime has no CUDAExecutionProvider here (install onnxruntime-gpu on a GPU host)"
        return None

    def _pick_provider(self) -> str:
        import onnxruntime as ort

        available = ort.get_available_providers()
        if self.provider in ("auto", "cuda") and _PROVIDERS["cuda"] in available:
            return _PROVIDERS["cuda"]
        return _PROVIDERS["cpu"]

    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> Any:
        import onnxruntime as ort

        if settings.precision != "fp32":
            raise ConfigError(
                f"the onnxruntime profiler runs the ONNX model as given (fp32); precision "
                f"{settings.precision!r} needs a quantised/fp16 model and the tensorrt or tvm profiler"
            )
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if settings.threads is not None:
            options.intra_op_num_threads = settings.threads
        provider = self._pick_provider()
        session = ort.InferenceSession(
            model.onnx_bytes(settings.batch_size), options, providers=[provider]
        )
        return _Session(
            session, random_feeds(session, settings.batch_size), provider, settings.threads
        )

    def _run(self, handle: _Session, iterations: int) -> list[float]:
        run = handle.session.run
        feeds = handle.feeds
        out = []
        for _ in range(iterations):
            start = time.perf_counter_ns()
            run(None, feeds)
            out.append((time.perf_counter_ns() - start) / 1e6)
        return out

    def _environment(self, handle: _Session) -> dict[str, Any]:
        return {
            "versions": package_versions("onnxruntime", "onnxruntime-gpu", "onnx"),
            "execution_provider": handle.provider,
            "intra_op_threads": handle.threads if handle.threads is not None else "default",
        }
