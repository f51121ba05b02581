"""PyTorch on a CUDA GPU, timed with CUDA events; CUDA Graphs replay by default.

Eager NAS-Bench-201 inference on a large GPU is bound by kernel-launch overhead (~2-15 ms
per inference on an H100, almost independent of the cell); replayed as a CUDA Graph the
same cells take ~0.2-1.1 ms. The mode is recorded in every measurement's environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hwnas.core import ConfigError, DeviceError, DeviceSpec
from hwnas.profilers._base import PROFILERS, Profiler
from hwnas.profilers._environment import package_versions
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings

MODES = ("graph", "eager")


@dataclass
class _Handle:
    step: Any  # callable: one inference (graph replay or eager forward)
    events: tuple[Any, Any]
    mode: str
    keep: tuple[Any, ...]


@PROFILERS.register("torch-cuda")
class TorchCudaProfiler(Profiler):
    """CUDA-event latency of a space's torch network on the local GPU.

    `mode` is "graph" (capture once, replay: what a deployed engine does) or "eager"
    (Python dispatch per op: launch-bound on fast GPUs). Precision fp32 or fp16.
    """

    name = "torch-cuda"

    def __init__(self, mode: str = "graph", gpu_index: int = 0) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.gpu_index = gpu_index

    def unavailable_reason(self) -> str | None:
        import torch

        if not torch.cuda.is_available():
            return "no CUDA GPU"
        return None

    def check_device(self, device: DeviceSpec) -> None:
        if device.access.method != "local" or device.kind != "cuda-gpu":
            raise DeviceError(
                f"torch-cuda measures the GPU of this host; {device.name!r} is a "
                f"{device.kind} reached over {device.access.method}: pick a local cuda-gpu "
                "device (e.g. nvidia-h100, or your own catalog entry)"
            )

    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> Any:
        import torch

        if model.architecture is None:
            raise ConfigError(
                "torch-cuda runs a space's torch network; for an ONNX file use "
                "--profiler onnxruntime (its CUDA provider is used when present)"
            )
        if settings.precision not in ("fp32", "fp16"):
            raise ConfigError(f"torch-cuda measures fp32 or fp16, not {settings.precision}")
        dtype = torch.float16 if settings.precision == "fp16" else torch.float32
        gpu = torch.device("cuda", self.gpu_index)
        network = model.to_torch().to(gpu, dtype=dtype).eval()
        shape = model.resolved_input_shape()
        x = torch.randn((settings.batch_size, *shape), device=gpu, dtype=dtype)  # type: ignore[misc]
        torch.backends.cudnn.benchmark = True
        with torch.inference_mode():
            side = torch.cuda.Stream(gpu)
            side.wait_stream(torch.cuda.current_stream(gpu))
            with torch.cuda.stream(side):  # warm up (cuDNN autotune) off the capture stream
                for _ in range(3):
                    network(x)
            torch.cuda.current_stream(gpu).wait_stream(side)
            torch.cuda.synchronize(gpu)
            if self.mode == "graph":
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    network(x)
                step = graph.replay
                keep: tuple[Any, ...] = (network, x, graph)
            else:

                def step() -> None:
                    with torch.inference_mode():
                        network(x)

                keep = (network, x)
        events = (torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
        return _Handle(step, events, self.mode, keep)

    def _run(self, handle: _Handle, iterations: int) -> list[float]:
        start, end = handle.events
        out = []
        for _ in range(iterations):
            start.record()
            handle.step()
            end.record()
            end.synchronize()
            out.append(float(start.elapsed_time(end)))  # ms
        return out

    def _environment(self, handle: _Handle) -> dict[str, Any]:
        import torch

        return {
            "versions": package_versions("torch") | {"cuda": str(torch.version.cuda)},
            "gpu": torch.cuda.get_device_name(self.gpu_index),
            "mode": "cuda-graph" if handle.mode == "graph" else "eager",
            "cudnn_benchmark": True,
        }
