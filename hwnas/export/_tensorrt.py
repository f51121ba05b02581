"""A TensorRT engine from an exported ONNX file, or the exact trtexec command for a board.

Engines are specific to one GPU and one TensorRT release, so an engine for a Jetson is
built on the Jetson. On a host with TensorRT and a CUDA GPU the engine is built here
with the tensorrt profiler's builder (`hwnas.profilers._tensorrt_local.build_engine`);
everywhere the command for the board is printed, with the same flag set the tensorrt
profiler runs (`hwnas.profilers._trtexec.trtexec_flags`: engine build, fp32 without
TF32, CUDA graphs, per-query times), so the board's figures compare with the run's.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, atomic_write_bytes
from hwnas.export._metadata import refuse_existing

DEFAULT_TENSORRT_MAJOR = 10
TRTEXEC_WARMUP_MS = 500  # the tensorrt profiler's defaults
TRTEXEC_DURATION_S = 3
TRTEXEC_ITERATIONS = 100


def _board(device: str | None) -> tuple[str, int, str]:
    """(device name, TensorRT major, trtexec path) from the catalog, or the defaults."""
    if device is None:
        return "", DEFAULT_TENSORRT_MAJOR, "trtexec"
    from hwnas.devices import get_device

    spec = get_device(device)
    if spec.kind not in ("jetson", "cuda-gpu"):
        raise ConfigError(
            f"--tensorrt targets NVIDIA GPUs; {spec.name!r} is a {spec.kind} "
            "(use --tvm for CPUs)"
        )
    version = str(spec.properties.get("tensorrt_version", DEFAULT_TENSORRT_MAJOR))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise ConfigError(
            f"device {spec.name!r}: properties.tensorrt_version {version!r} must start with "
            "the major release number, e.g. \"10\""
        ) from None
    return spec.name, major, str(spec.properties.get("trtexec", "trtexec"))


def trtexec_command(
    onnx_path: str | Path, precision: str = "fp32", device: str | None = None,
) -> list[str]:
    """The trtexec command line that builds (and times) the engine on the board."""
    from hwnas.profilers import TrtVersion, trtexec_flags

    _, major, trtexec = _board(device)
    name = Path(onnx_path).name
    stem = Path(onnx_path).stem
    flags = trtexec_flags(
        TrtVersion(major, 6 if major == 8 else 0, 0), precision, name,
        f"{stem}.{precision}.engine", f"{stem}.{precision}.times.json",
        warmup_ms=TRTEXEC_WARMUP_MS, duration_s=TRTEXEC_DURATION_S,
        iterations=TRTEXEC_ITERATIONS,
    )
    return [trtexec, *flags]


def build_or_describe_engine(
    onnx_path: str | Path, precision: str = "fp32", device: str | None = None,
    overwrite: bool = True,
) -> dict[str, Any]:
    """Build the engine on this host when TensorRT can run here; always give the command.

    The engine is written atomically next to the ONNX file; `overwrite=False` refuses an
    existing one before building."""
    from hwnas.profilers import build_engine, local_unavailable_reason

    command = trtexec_command(onnx_path, precision, device)
    summary: dict[str, Any] = {
        "trtexec_command": shlex.join(command), "precision": precision,
        "device": device, "engine_path": None, "built_here": False,
    }
    reason = local_unavailable_reason()
    if reason is None:
        source = Path(onnx_path)
        path = source.with_name(f"{source.stem}.{precision}.engine")
        refuse_existing(path, overwrite)
        engine = build_engine(source.read_bytes(), precision)
        atomic_write_bytes(path, engine, overwrite)
        summary.update(engine_path=str(path), built_here=True)
    else:
        summary["not_built_because"] = reason
        summary["instructions"] = (
            f"copy {Path(onnx_path).name} to the board and run the command there "
            "(engines are specific to one GPU and TensorRT release)"
        )
    return summary
