"""MetaSchedule tuning into one database shared by every architecture of a space.

A space has few distinct workloads (NAS-Bench-201: a handful of conv shapes per stage),
so each is tuned once per target and every architecture reuses the records. Records are
committed as tuning goes (JSON files), so a killed run keeps what it finished.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DeviceSpec
from hwnas.profilers._model import ModelSource, as_model_source
from hwnas.toolchain import (
    MODULE_EQUALITY,
    device_target,
    has_record,
    import_tvm,
    open_database,
    relax_module,
)


@dataclass(frozen=True)
class TuningReport:
    """What a tuning call did and what it cost."""

    database: str
    target: Mapping[str, Any]
    models: int
    tasks_seen: int  # distinct tuning tasks over all models (after fusion)
    tasks_tuned: int
    tasks_reused: int  # already in the database: not tuned again
    trials: int  # measured candidates committed to the database by this call
    tuning_s: float
    cost_model: str = "xgb"


BUILD_FUNCTION = "hwnas.tvm.build_without_tensor_intrinsics"


def _builder_initializer() -> None:
    """Register, in each builder worker, the default build minus its first line.

    MetaSchedule's default build imports `tvm.s_tir.tensor_intrin` in every worker: 30-50 s
    here, so builds time out. FP32 CPU schedules use no tensor intrinsics, so the build
    runs without them (a candidate that needed one fails to build and is skipped).
    """
    from tvm_ffi import register_global_func

    def build(mod, target, _params):  # type: ignore[no-untyped-def]
        from tvm.driver import build as tvm_build
        from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

        mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
        return tvm_build(mod, target=target)

    register_global_func(BUILD_FUNCTION, build, override=True)


def _runner(device: DeviceSpec, timeout_s: float) -> Any:
    from tvm.s_tir import meta_schedule as ms

    access = device.access
    if access.method == "tvm-rpc":
        config = ms.runner.RPCConfig(
            tracker_host=access.tracker_host,
            tracker_port=access.tracker_port,
            tracker_key=access.rpc_key,
            session_timeout_sec=int(timeout_s),
        )
        return ms.runner.RPCRunner(rpc_config=config, max_workers=1)
    return ms.runner.LocalRunner(timeout_sec=timeout_s)


def tune_tvm(
    models: Iterable[Any],
    device: str | DeviceSpec,
    database: str | Path,
    trials_per_task: int = 32,
    batch_size: int = 1,
    target: Mapping[str, Any] | None = None,
    timeout_s: float = 120.0,
    seed: int = 0,
    max_trials_global: int | None = None,
    num_trials_per_iter: int | None = None,
) -> TuningReport:
    """Tune every task of `models` not yet in `database` for `device`'s target.

    `models` are ONNX paths/bytes, Architectures or ModelSources; boards reached through
    a TVM RPC tracker are measured there (the builder's tar artefact is linked on the
    board), others on this host. Use the same `database` with `create_profiler("tvm",
    database=...)`.

    Budget: at most `trials_per_task` per task and `max_trials_global` in all (default
    `trials_per_task` x new tasks). A task's weight is how often it occurs over all
    `models`, so MetaSchedule's gradient scheduler spends a tight global budget where the
    weighted latency is (each task first gets one round of `num_trials_per_iter`).
    """
    from hwnas.devices import get_device

    if trials_per_task < 1:
        raise ConfigError(f"trials_per_task must be >= 1, got {trials_per_task}")
    if max_trials_global is not None and max_trials_global < 1:
        raise ConfigError(f"max_trials_global must be >= 1, got {max_trials_global}")
    if num_trials_per_iter is not None and num_trials_per_iter < 1:
        raise ConfigError(f"num_trials_per_iter must be >= 1, got {num_trials_per_iter}")
    tvm = import_tvm()
    from tvm.s_tir import meta_schedule as ms
    from tvm_ffi import structural_hash

    spec = get_device(device)
    target_dict = device_target(spec, target)
    tvm_target = tvm.target.Target(dict(target_dict))
    db = open_database(database)
    sources: list[ModelSource] = [as_model_source(m) for m in models]
    seen: dict[int, Any] = {}
    weights: dict[int, int] = {}
    # Tasks equal under the database's own equality (anchor-block: the fused variants of one
    # conv) are one task: an in-memory database of that equality finds the representative.
    anchors = ms.database.MemoryDatabase(module_equality=MODULE_EQUALITY)
    for source in sources:
        mod = relax_module(source.onnx_bytes(batch_size), tvm_target)
        for task in ms.relax_integration.extract_tasks(
            mod, tvm_target, module_equality=MODULE_EQUALITY
        ):
            key = int(structural_hash(anchors.commit_workload(task.dispatched[0]).mod))
            seen.setdefault(key, task)
            weights[key] = weights.get(key, 0) + int(task.weight)
    fresh_keys = [k for k, t in seen.items() if not has_record(db, t.dispatched[0])]
    fresh = [seen[k] for k in fresh_keys]
    started = time.perf_counter()
    records_before = len(db)
    if fresh:
        work_dir = str(Path(database).expanduser())  # MetaSchedule adds logs/ itself
        contexts, _ = ms.relax_integration.extracted_tasks_to_tune_contexts(
            fresh,
            work_dir=work_dir,
            num_threads="physical",
            seed=seed,
        )
        ms.tune.tune_tasks(
            tasks=contexts,
            task_weights=[float(weights[k]) for k in fresh_keys],
            work_dir=work_dir,
            max_trials_global=max_trials_global or trials_per_task * len(fresh),
            max_trials_per_task=trials_per_task,
            num_trials_per_iter=min(64, trials_per_task, num_trials_per_iter or 64),
            builder=ms.builder.LocalBuilder(
                max_workers=1,
                timeout_sec=timeout_s,
                initializer=_builder_initializer,
                f_build=BUILD_FUNCTION,
            ),
            runner=_runner(spec, timeout_s),
            database=db,
            cost_model=_cost_model(),
            module_equality=MODULE_EQUALITY,
        )
    return TuningReport(
        database=str(database),
        target=target_dict,
        models=len(sources),
        tasks_seen=len(seen),
        tasks_tuned=len(fresh),
        tasks_reused=len(seen) - len(fresh),
        trials=len(db) - records_before,
        tuning_s=round(time.perf_counter() - started, 2),
        cost_model=_cost_model(),
    )


def _cost_model() -> str:
    import importlib.util

    # The xgb model guides the search far better; without xgboost, random proposals.
    return "xgb" if importlib.util.find_spec("xgboost") is not None else "random"
