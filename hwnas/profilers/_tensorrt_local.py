"""TensorRT on this host through its Python API: engine build, engine cache, CUDA-event timing.

Needs the `tensorrt` extra (TensorRT >= 8.6, whose API this uses: named I/O tensors,
`execute_async_v3`) and a CUDA build of torch for device buffers and events.
UNTESTED HERE: TensorRT cannot be installed on the machines this project is built on
(see FINDINGS.md); only the cache key, the cache files and the missing-dependency
error are covered by tests. The remote path (trtexec over SSH) is the tested one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, atomic_write_bytes, atomic_write_text, import_optional

DEFAULT_ENGINE_CACHE = Path("~/.cache/hwnas/tensorrt")


def local_unavailable_reason() -> str | None:
    """Why the TensorRT Python API cannot run on this host (None when it can)."""
    if importlib.util.find_spec("tensorrt") is None:
        return (
            "the tensorrt Python package is not installed on this host (`pip install "
            "'hwnas[tensorrt]'` on an NVIDIA GPU host); Jetson boards reached over SSH do "
            "not need it"
        )
    import torch

    if not torch.cuda.is_available():
        return "no CUDA GPU is visible to torch on this host (TensorRT needs one)"
    return None


def engine_cache_key(
    onnx_bytes: bytes,
    precision: str,
    tensorrt_version: str,
    gpu: str,
    calibration_sha256: str | None = None,
) -> str:
    """The engine cache key: model hash, precision, TensorRT version, GPU (and int8 data)."""
    fields = {
        "model_sha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "precision": precision,
        "tensorrt": tensorrt_version,
        "gpu": gpu,
        "calibration_sha256": calibration_sha256,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class EngineCache:
    """Serialised engines on disk, one `<key>.engine` plus a readable `<key>.json` each."""

    directory: Path

    def path(self, key: str) -> Path:
        return self.directory.expanduser() / f"{key}.engine"

    def load(self, key: str) -> bytes | None:
        path = self.path(key)
        return path.read_bytes() if path.is_file() else None

    def save(self, key: str, engine: bytes, description: dict[str, Any]) -> Path:
        path = self.path(key)
        atomic_write_bytes(path, engine)  # never a half-written engine under the final name
        atomic_write_text(path.with_suffix(".json"),
                          json.dumps(description, indent=2, sort_keys=True))
        return path


def load_calibration_data(path: str | Path) -> Any:
    """An int8 calibration batch set: a .npy array (N, C, H, W) float32, no pickles."""
    import numpy as np

    file = Path(path).expanduser()
    if not file.is_file() or file.suffix != ".npy":
        raise ConfigError(
            f"calibration data {file} must be an existing .npy file of shape (N, C, H, W)"
        )
    try:
        data = np.load(file, allow_pickle=False)
    except ValueError as error:
        raise ConfigError(
            f"calibration data {file} could not be read without unpickling ({error}); save a "
            "plain float array with numpy.save"
        ) from None
    if data.ndim != 4 or data.shape[0] < 1:
        raise ConfigError(f"calibration data {file} has shape {data.shape}; expected (N, C, H, W)")
    return data.astype(np.float32)


def build_engine(
    onnx_bytes: bytes, precision: str, calibration: Any = None, workspace_mb: int = 1024
) -> bytes:
    """Build a serialised engine from ONNX (fp32 without TF32, fp16, or int8 with data)."""
    trt = import_optional("tensorrt", "tensorrt", "building TensorRT engines on this host")
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    major = int(trt.__version__.split(".")[0])
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ConfigError(f"TensorRT could not parse the ONNX model: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_mb << 20)
    if precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    elif precision == "int8":
        if calibration is None:
            raise ConfigError(
                "int8 needs calibration data on this host: pass calibration_data='batches.npy' "
                "(an (N, C, H, W) float32 array of real inputs)"
            )
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = _calibrator(trt, calibration)
    else:
        config.clear_flag(trt.BuilderFlag.TF32)  # fp32 means fp32, not TF32 on Ampere+
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ConfigError(f"TensorRT failed to build a {precision} engine (see its log above)")
    return bytes(serialized)


def _calibrator(trt: Any, data: Any) -> Any:
    import torch

    class _Calibrator(trt.IInt8EntropyCalibrator2):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.batches = [torch.from_numpy(data[i:i + 1]).cuda() for i in range(data.shape[0])]
            self.index = 0

        def get_batch_size(self) -> int:
            return 1

        def get_batch(self, names: list[str]) -> list[int] | None:
            if self.index >= len(self.batches):
                return None
            self.index += 1
            return [int(self.batches[self.index - 1].data_ptr())]

        def read_calibration_cache(self) -> None:
            return None

        def write_calibration_cache(self, cache: Any) -> None:
            return None

    return _Calibrator()


@dataclass
class LocalEngine:
    """A deserialised engine with device buffers bound, timed with CUDA events."""

    engine: Any
    context: Any
    buffers: dict[str, Any]
    stream: Any
    tensorrt_version: str
    gpu: str
    cache_path: str
    cache_hit: bool

    def run(self, iterations: int) -> list[float]:
        import torch

        pairs = []
        with torch.cuda.stream(self.stream):
            for _ in range(iterations):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record(self.stream)
                if not self.context.execute_async_v3(self.stream.cuda_stream):
                    raise RuntimeError("TensorRT execute_async_v3 failed")
                end.record(self.stream)
                pairs.append((start, end))
        self.stream.synchronize()
        return [start.elapsed_time(end) for start, end in pairs]  # ms


def prepare_engine(
    onnx_bytes: bytes,
    precision: str,
    batch_size: int,
    cache_dir: str | Path | None = None,
    calibration_data: str | Path | None = None,
) -> LocalEngine:
    """Load the cached engine for this (model, precision, TensorRT, GPU) or build it."""
    trt = import_optional("tensorrt", "tensorrt", "running TensorRT engines on this host")
    import numpy as np
    import torch

    capability = "".join(map(str, torch.cuda.get_device_capability()))
    gpu = f"{torch.cuda.get_device_name()} sm_{capability}"
    calibration = load_calibration_data(calibration_data) if calibration_data else None
    calibration_sha = (
        hashlib.sha256(calibration.tobytes()).hexdigest() if calibration is not None else None
    )
    key = engine_cache_key(onnx_bytes, precision, trt.__version__, gpu, calibration_sha)
    cache = EngineCache(Path(cache_dir) if cache_dir else DEFAULT_ENGINE_CACHE)
    blob = cache.load(key)
    hit = blob is not None
    if blob is None:
        blob = build_engine(onnx_bytes, precision, calibration)
        cache.save(key, blob, {"precision": precision, "tensorrt": trt.__version__, "gpu": gpu,
                               "model_sha256": hashlib.sha256(onnx_bytes).hexdigest()})
    runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
    engine = runtime.deserialize_cuda_engine(blob)
    if engine is None:
        raise ConfigError(f"cached engine {cache.path(key)} does not load; delete it and retry")
    context = engine.create_execution_context()
    buffers = {}
    for index in range(engine.num_io_tensors):
        name = engine.get_tensor_name(index)
        shape = list(engine.get_tensor_shape(name))
        if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT and shape and shape[0] < 0:
            shape[0] = batch_size
            context.set_input_shape(name, shape)
    for index in range(engine.num_io_tensors):
        name = engine.get_tensor_name(index)
        shape = tuple(context.get_tensor_shape(name))
        dtype = torch.from_numpy(np.empty(0, trt.nptype(engine.get_tensor_dtype(name)))).dtype
        buffers[name] = torch.empty(shape, dtype=dtype, device="cuda")
        context.set_tensor_address(name, buffers[name].data_ptr())
    return LocalEngine(engine, context, buffers, torch.cuda.Stream(), trt.__version__, gpu,
                       str(cache.path(key)), hit)
