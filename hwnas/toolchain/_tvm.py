"""Apache TVM build helpers: targets, the Relax ONNX frontend, MetaSchedule databases,
compiling and writing a shared library (cross-compiled for a foreign triple).

The tvm profiler measures what these build, and `hwnas export --tvm` deploys the same
build, so a deployed library is built exactly like the measured one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.core import (
    ConfigError,
    DeviceError,
    DeviceSpec,
    HwnasError,
    atomic_path,
    import_optional,
)

HOST_TARGET: Mapping[str, Any] = {"kind": "llvm"}
AARCH64_TARGET: Mapping[str, Any] = {
    "kind": "llvm", "mtriple": "aarch64-linux-gnu", "mattr": ["+neon"],
}
DEFAULT_CROSS_COMPILER = "aarch64-linux-gnu-gcc"
MODULE_EQUALITY = "anchor-block"  # fused variants of one conv share its tuning record


def import_tvm() -> Any:
    """`import tvm` (4-5 s), or MissingDependencyError naming the `tvm` extra."""
    return import_optional("tvm", "tvm", "the tvm profiler")


def device_target(device: DeviceSpec, target: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The TVM target of a device: explicit, else its catalog `tvm_target`, else host llvm."""
    chosen = target or device.properties.get("tvm_target") or _host_target(device)
    if not isinstance(chosen, Mapping) or "kind" not in chosen:
        raise ConfigError(
            f"TVM target for {device.name} must be a table with a 'kind', e.g. "
            '{ kind = "llvm", mtriple = "aarch64-linux-gnu", mattr = ["+neon"] }'
        )
    out = as_target_dict(chosen)
    if "num-cores" not in out:
        # MetaSchedule needs it, and tuning records only match the same target.
        out["num-cores"] = int(device.properties.get("cores") or _default_cores(device))
    return out


def as_target_dict(target: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict copy of a target table, its tuples (from TOML or code) as lists."""
    return {k: list(v) if isinstance(v, list | tuple) else v for k, v in target.items()}


def _host_target(device: DeviceSpec) -> dict[str, Any]:
    """llvm for this host's own CPU: without `mcpu` LLVM emits baseline x86-64 (SSE2), and
    MetaSchedule's vector rules size for the wrong width."""
    if device.access.method != "local":
        return dict(HOST_TARGET)
    import_tvm()
    from tvm.target import codegen

    return {**HOST_TARGET, "mcpu": str(codegen.llvm_get_system_cpu())}


def _default_cores(device: DeviceSpec) -> int:
    if device.access.method == "local":
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    return 4  # a board without properties.cores: the common 4-core ARM board


def is_cross_target(target: Mapping[str, Any]) -> bool:
    """True when the target's triple is not this host's architecture."""
    import platform

    triple = str(target.get("mtriple", ""))
    return bool(triple) and not triple.startswith(platform.machine())


def require_cross_compiler(
    compiler: str | None = None, error: type[HwnasError] = DeviceError
) -> str:
    """The cross compiler's name (default aarch64-linux-gnu-gcc) once it is on PATH.

    Raises `error` (DeviceError by default; `hwnas export` says ConfigError, before it
    builds anything) with the apt command that installs it.
    """
    import shutil

    chosen = compiler or DEFAULT_CROSS_COMPILER
    if shutil.which(chosen) is None:
        raise error(
            f"cross compiler {chosen} not found; on Debian/Ubuntu run "
            "`apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross`"
        )
    return chosen


def relax_module(onnx_bytes: bytes, target: Any) -> Any:
    """The ONNX model as a Relax module, legalised and fused (the tuning task form)."""
    import onnx

    tvm = import_tvm()
    from tvm import relax
    from tvm.relax import transform
    from tvm.relax.frontend.onnx import from_onnx

    mod = from_onnx(onnx.load_from_string(onnx_bytes), keep_params_in_input=False)
    with target:
        return tvm.transform.Sequential(
            [
                transform.DecomposeOpsForInference(),
                transform.CanonicalizeBindings(),
                relax.pipeline.zero_pipeline(),
            ]
        )(mod)


def open_database(path: str | Path, module_equality: str = MODULE_EQUALITY) -> Any:
    """The MetaSchedule JSON database in folder `path` (created when absent)."""
    import_tvm()
    from tvm.s_tir import meta_schedule as ms

    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return ms.database.JSONDatabase(
        str(folder / "workloads.json"),
        str(folder / "tuning_records.json"),
        module_equality=module_equality,
    )


def build(
    onnx_bytes: bytes, target_dict: Mapping[str, Any], database_dir: str | Path | None
) -> Any:
    """Compile for the target: tuned from the database when given, else the default pipeline."""
    return build_with_coverage(onnx_bytes, target_dict, database_dir)[0]


def build_with_coverage(
    onnx_bytes: bytes, target_dict: Mapping[str, Any], database_dir: str | Path | None
) -> tuple[Any, float | None]:
    """The compiled executable and the share of its tuning tasks found in the database.

    Tasks without a record fall back to TVM's default schedules, so a coverage below 1
    means partly untuned code (tune the missing workloads with `tune_tvm`).
    """
    tvm = import_tvm()
    target = tvm.target.Target(dict(target_dict))
    mod = relax_module(onnx_bytes, target)
    if database_dir is None:
        return tvm.compile(mod, target=target), None
    from tvm.s_tir import meta_schedule as ms

    database = open_database(database_dir)
    tasks = ms.relax_integration.extract_tasks(mod, target, module_equality=MODULE_EQUALITY)
    covered = sum(has_record(database, task.dispatched[0]) for task in tasks)
    try:
        executable = ms.relax_integration.compile_relax(database, mod, target, None)
    except Exception as error:
        if "unscheduled_blocks" not in str(error):
            raise
        # An anchor's trace does not replay on every fused variant (more than one spatial
        # block left over); then only exact records apply and the rest is untuned.
        database = open_database(database_dir, module_equality="structural")
        covered = sum(has_record(database, task.dispatched[0]) for task in tasks)
        executable = ms.relax_integration.compile_relax(database, mod, target, None)
    return executable, covered / len(tasks) if tasks else 1.0


def has_record(database: Any, mod: Any) -> bool:
    """Whether the database holds at least one tuning record for the workload `mod`."""
    if not database.has_workload(mod):
        return False
    return len(database.get_top_k(database.commit_workload(mod), 1)) > 0


def export_library(
    executable: Any, folder: str, target_dict: Mapping[str, Any], cross_compiler: str | None = None,
    path: str | None = None, overwrite: bool = True,
) -> str:
    """Write the executable as a shared library (`path`, default `folder/model.so`),
    cross-compiled for a foreign triple. Atomic: the compiler writes a temporary name in the
    same folder, renamed into place when it succeeded; `overwrite=False` refuses an
    existing file (FileExistsError)."""
    path = path or os.path.join(folder, "model.so")
    cc = require_cross_compiler(cross_compiler) if is_cross_target(target_dict) else None
    with atomic_path(path, overwrite) as temporary:
        if cc is not None:
            executable.export_library(str(temporary), cc=cc)
        else:
            executable.export_library(str(temporary))
    return path
