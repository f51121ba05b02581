"""The `tensorrt` profiler: the TensorRT Python API on this host, or trtexec on a Jetson over SSH.

One name for users: a device reached over SSH (the Jetson entries of the catalog) is
measured with trtexec and tegrastats on the board (`_tensorrt_remote`, tested against a
real OpenSSH server with stand-in Jetson tools); a local NVIDIA GPU is measured with the
TensorRT Python API (`_tensorrt_local`, untested here: TensorRT cannot be installed on
this project's build machines). `unavailable_reason()` speaks for this host only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DeviceError, DeviceSpec, Measurement
from hwnas.profilers._base import PROFILERS, Profiler
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings
from hwnas.profilers._tensorrt_local import LocalEngine, local_unavailable_reason, prepare_engine
from hwnas.profilers._tensorrt_remote import TrtexecSshProfiler

_LOCAL_KINDS = ("cuda-gpu", "jetson")


@PROFILERS.register("tensorrt")
class TensorRtProfiler(Profiler):
    """TensorRT latency (and, on Jetson boards, energy per inference).

    Local options: `engine_cache_dir` (default ~/.cache/hwnas/tensorrt),
    `calibration_data` (.npy (N, C, H, W) float32 for int8). Remote options (trtexec
    over SSH): `duration_s`, `warmup_ms`, `tegrastats_interval_ms`, `idle_s`, `energy`,
    `calibration_cache`; see TrtexecSshProfiler.
    """

    name = "tensorrt"

    def __init__(
        self,
        engine_cache_dir: str | Path | None = None,
        calibration_data: str | Path | None = None,
        duration_s: int = 3,
        warmup_ms: int = 500,
        tegrastats_interval_ms: int = 50,
        idle_s: float = 2.0,
        energy: bool = True,
        calibration_cache: str | None = None,
    ) -> None:
        self.engine_cache_dir = engine_cache_dir
        self.calibration_data = calibration_data
        self.remote = TrtexecSshProfiler(
            duration_s=duration_s, warmup_ms=warmup_ms,
            tegrastats_interval_ms=tegrastats_interval_ms, idle_s=idle_s, energy=energy,
            calibration_cache=calibration_cache,
        )

    def profile(
        self, model: Any, device: str | DeviceSpec, settings: ProfileSettings | None = None
    ) -> Measurement:
        from hwnas.devices import get_device

        spec = get_device(device)
        if spec.access.method == "ssh":
            return self.remote.profile(model, spec, settings)
        return super().profile(model, spec, settings)

    def unavailable_reason(self) -> str | None:
        return local_unavailable_reason()

    def check_device(self, device: DeviceSpec) -> None:
        if device.access.method != "local" or device.kind not in _LOCAL_KINDS:
            raise DeviceError(
                f"the tensorrt profiler measures NVIDIA GPUs on this host or Jetson boards over "
                f"SSH; {device.name!r} is a {device.kind} reached over {device.access.method}"
            )

    def _prepare(
        self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings
    ) -> LocalEngine:
        if settings.precision not in ("fp32", "fp16", "int8"):
            raise ConfigError(f"TensorRT builds fp32, fp16 or int8 engines, not {settings.precision}")
        return prepare_engine(
            model.onnx_bytes(settings.batch_size), settings.precision, settings.batch_size,
            self.engine_cache_dir, self.calibration_data,
        )

    def _run(self, handle: LocalEngine, iterations: int) -> list[float]:
        return handle.run(iterations)

    def _environment(self, handle: LocalEngine) -> dict[str, Any]:
        return {
            "tensorrt_version": handle.tensorrt_version,
            "gpu": handle.gpu,
            "engine_cache": handle.cache_path,
            "engine_cache_hit": handle.cache_hit,
            "timing": "CUDA events around execute_async_v3, per inference",
        }


