"""A deployable Apache TVM library (.so) from an exported ONNX file.

Targets: `host` (this machine's CPU), `aarch64` (64-bit Arm Linux, cross-compiled with
aarch64-linux-gnu-gcc), or a catalog device whose `properties.tvm_target` says its
target (and `properties.cross_compiler` its compiler). The build is the tvm profiler's
(`hwnas.toolchain.build`: Relax ONNX frontend, default pipeline, or a MetaSchedule
database when given), so a deployed library is built exactly like the measured one.
A host library is loaded back and run against ONNX Runtime before it is reported, from a
temporary name next to its destination: only a library that passed is renamed into place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, atomic_path
from hwnas.export._metadata import refuse_existing
from hwnas.toolchain import (
    AARCH64_TARGET,
    DEFAULT_CROSS_COMPILER,
    HOST_TARGET,
    ExportError,
    as_target_dict,
    build,
    export_library,
    import_tvm,
    is_cross_target,
    require_cross_compiler,
)

TVM_TOLERANCE = 1e-3  # TVM fuses and reorders float sums differently from ONNX Runtime


def resolve_tvm_target(target: str) -> tuple[str, dict[str, Any], str | None]:
    """(label, target dict, cross compiler or None) for `host`, `aarch64` or a device name."""
    if target == "host":
        return "host", dict(HOST_TARGET), None
    if target == "aarch64":
        return "aarch64", as_target_dict(AARCH64_TARGET), DEFAULT_CROSS_COMPILER
    from hwnas.devices import get_device

    try:
        device = get_device(target)
    except Exception as error:  # noqa: BLE001  (DeviceError: reword for --tvm)
        raise ConfigError(
            f"--tvm {target!r}: use host, aarch64, or a device name ({error})"
        ) from None
    chosen = device.properties.get("tvm_target")
    if not isinstance(chosen, Mapping) or "kind" not in chosen:
        raise ConfigError(
            f"device {device.name!r} has no properties.tvm_target in the catalog; use --tvm "
            "host or --tvm aarch64, or add tvm_target to its catalog entry"
        )
    target_dict = as_target_dict(chosen)
    cross = None
    if is_cross_target(target_dict):
        cross = str(device.properties.get("cross_compiler") or DEFAULT_CROSS_COMPILER)
    return device.name, target_dict, cross


def build_tvm_library(
    onnx_path: str | Path,
    target: str,
    out_path: str | Path | None = None,
    tuning_database: str | Path | None = None,
    overwrite: bool = True,
) -> dict[str, Any]:
    """Compile the ONNX file for `target` into a shared library; verify it when on host.

    Returns a summary: path, target, cross compiler, whether it was run here and the
    largest difference from ONNX Runtime on one random input. The library is compiled to
    a temporary name next to its destination, checked there, and renamed into place only
    when it passed: a failed check or a crash leaves any earlier file as it was.
    `overwrite=False` refuses an existing destination before building.
    """
    label, target_dict, cross = resolve_tvm_target(target)
    if cross is not None:
        require_cross_compiler(cross, ConfigError)
    source = Path(onnx_path)
    destination = Path(out_path) if out_path else source.with_name(f"{source.stem}.tvm-{label}.so")
    refuse_existing(destination, overwrite)
    data = source.read_bytes()
    executable = build(data, target_dict, tuning_database)
    summary: dict[str, Any] = {
        "path": str(destination), "target": label, "tvm_target": target_dict,
        "cross_compiler": cross, "tuned": tuning_database is not None, "ran_here": False,
        "max_abs_error_vs_onnxruntime": None,
    }
    with atomic_path(destination, overwrite) as temporary:
        export_library(executable, str(temporary.parent), target_dict, cross,
                       path=str(temporary))
        if cross is None:
            error = max_abs_error_library_vs_onnxruntime(temporary, data)
            if not error <= TVM_TOLERANCE:
                raise ExportError(
                    f"the TVM library differs from ONNX Runtime by {error:.3g} (limit "
                    f"{TVM_TOLERANCE:g}); it was not written: report the architecture"
                )
            summary.update(ran_here=True, max_abs_error_vs_onnxruntime=error)
    return summary


def run_tvm_library(path: str | Path, inputs: Any) -> Any:
    """Load a host library and run it on a numpy array; returns the output array."""
    tvm = import_tvm()
    from tvm import relax

    module = tvm.runtime.load_module(str(path))
    machine = relax.VirtualMachine(module, tvm.cpu())
    output = machine["main"](tvm.runtime.tensor(inputs, tvm.cpu()))
    if not hasattr(output, "numpy"):  # a tuple of outputs
        output = output[0]
    return output.numpy()


def max_abs_error_library_vs_onnxruntime(
    path: str | Path, onnx_bytes: bytes, seed: int = 0,
) -> float:
    """Run the library and ONNX Runtime on the same random input; the largest difference."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    node = session.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in node.shape]
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    expected = session.run(None, {node.name: x})[0]
    got = run_tvm_library(path, x)
    if got.shape != expected.shape:
        raise ExportError(
            f"TVM output shape {got.shape} differs from ONNX Runtime {expected.shape}"
        )
    return float(np.max(np.abs(got - expected)))
