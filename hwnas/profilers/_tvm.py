"""The tvm profiler: build with `hwnas.toolchain` (Relax ONNX frontend, host or cross
target), time locally or on a board reached through the TVM RPC tracker.

Untuned TVM code says nothing about deployment (a NAS-Bench-201 network ran ~30x slower
than ONNX Runtime here), so pass a MetaSchedule tuning database (`hwnas.profilers.
tune_tvm`): built once per target, shared by every architecture of a space.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DeviceError, DeviceSpec
from hwnas.profilers._base import PROFILERS, Profiler
from hwnas.profilers._environment import package_versions
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings
from hwnas.profilers._tvm_rpc import tracker_keys
from hwnas.toolchain import (
    build_with_coverage,
    device_target,
    export_library,
    import_tvm,
    is_cross_target,
)


@dataclass
class _Handle:
    run_timed: Callable[[int, int], list[float]]  # (repeat, number) -> ms per sample
    reconnect: Callable[[], None] | None
    target: dict[str, Any]
    remote: bool
    tuned: bool
    build_s: float
    coverage: float | None = None
    retries: int = 0
    number: int = 1  # inferences per timed sample, as last passed to time_evaluator
    keep: list[Any] = field(default_factory=list)


def _call_with_timeout(function: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """Run `function` in a daemon thread; a hung RPC call becomes a DeviceError.

    A daemon thread, not a pool: a call stuck on a dead board's socket must not keep
    the interpreter from exiting.
    """
    result: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def target() -> None:
        try:
            result.put((True, function()))
        except BaseException as error:  # handed to the caller's thread
            result.put((False, error))

    threading.Thread(target=target, daemon=True, name="hwnas-tvm-rpc").start()
    try:
        ok, value = result.get(timeout=timeout_s)
    except queue.Empty:
        raise DeviceError(f"{what} did not answer within {timeout_s:.0f} s") from None
    if not ok:
        raise value
    return value


def check_board(device: DeviceSpec, timeout_s: float) -> None:
    """Fail fast (before any build) when the tracker is down or the board is not registered."""
    import socket

    access = device.access
    where = f"{access.tracker_host}:{access.tracker_port}"
    try:
        # TVM's own connect retries for a minute; a refused port is known at once.
        with socket.create_connection(
            (str(access.tracker_host), int(access.tracker_port)), timeout=min(timeout_s, 10.0)
        ):
            pass
        keys = _call_with_timeout(
            lambda: tracker_keys(str(access.tracker_host), int(access.tracker_port)),
            timeout_s,
            f"TVM RPC tracker {where}",
        )
    except (OSError, RuntimeError) as error:
        raise DeviceError(
            f"cannot reach the TVM RPC tracker at {where} ({error}); start it there with "
            f"`python -m tvm.exec.rpc_tracker --host {access.tracker_host} --port "
            f"{access.tracker_port}` (bind a LAN address behind a firewall or 127.0.0.1 with an "
            "SSH tunnel, never 0.0.0.0: TVM RPC has no authentication; docs/profilers.md)"
        ) from error
    if access.rpc_key not in keys:
        raise DeviceError(
            f"no board is registered as {access.rpc_key!r} at the tracker {where} "
            f"(known keys: {', '.join(sorted(keys)) or 'none'}); on the board run "
            f"`python -m tvm.exec.rpc_server --host BOARD_LAN_ADDRESS --tracker {where} --key "
            f"{access.rpc_key}` (a LAN address behind a firewall: TVM RPC has no authentication)"
        )


@PROFILERS.register("tvm")
class TvmProfiler(Profiler):
    """TVM-compiled latency, on this host or on a board behind a TVM RPC tracker.

    Options: `target` (a TVM target dict; default the device's `tvm_target`, else host
    llvm), `database` (a MetaSchedule tuning folder: tuned code; None: TVM's default
    schedules, which are not deployment figures), `number` (inferences averaged in one
    timed sample; None, the default: the shared protocol's group size from
    `settings.min_sample_ms`, passed to `time_evaluator(number=...)` so samples are
    grouped once, by TVM's own timer). Devices with `access.method = "tvm-rpc"` are reached through
    `tracker_host:tracker_port` under `rpc_key`; a lost session is retried once, and a
    board that does not answer within the timeout fails this measurement only.
    """

    name = "tvm"

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        database: str | Path | None = None,
        number: int | None = None,
    ) -> None:
        if number is not None and number < 1:
            raise ConfigError(f"number must be >= 1 (or None: from min_sample_ms), got {number}")
        self.target = dict(target) if target is not None else None
        self.database = Path(database).expanduser() if database is not None else None
        self.number = number

    def unavailable_reason(self) -> str | None:
        import importlib.util

        if importlib.util.find_spec("tvm") is None:
            return "apache-tvm is not installed: run `pip install 'hwnas[tvm]'`"
        return None

    def check_device(self, device: DeviceSpec) -> None:
        access = device.access
        if access.method == "tvm-rpc":
            if not (access.tracker_host and access.tracker_port and access.rpc_key):
                raise DeviceError(
                    f"device {device.name!r} needs access.tracker_host, tracker_port and rpc_key "
                    "for the TVM RPC tracker; set them in your device catalog"
                )
        elif access.method != "local":
            raise DeviceError(
                f"the tvm profiler reaches devices locally or through a TVM RPC tracker; "
                f"{device.name!r} is reached over {access.method}"
            )

    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> Any:
        import numpy as np
        import onnx

        if settings.precision != "fp32":
            raise ConfigError("the tvm profiler builds fp32 models; pass precision='fp32'")
        if self.database is not None and not (self.database / "tuning_records.json").is_file():
            raise ConfigError(
                f"TVM tuning database {self.database} has no tuning_records.json; build it with "
                "`hwnas.profilers.tune_tvm` (or leave database out for untuned code)"
            )
        tvm = import_tvm()
        from tvm import relax

        target = device_target(device, self.target)
        data = model.onnx_bytes(settings.batch_size)
        dims = [
            d.dim_value
            for d in onnx.load_from_string(data).graph.input[0].type.tensor_type.shape.dim
        ]
        if any(d <= 0 for d in dims):
            raise ConfigError("the tvm profiler needs an ONNX model with a fixed input shape")
        timeout_s = settings.timeout_s or device.access.timeout_s
        if device.access.method == "tvm-rpc":
            check_board(device, timeout_s)
        elif is_cross_target(target):
            raise DeviceError(
                f"target {target} is not this host's architecture; give {device.name} "
                "access.method = 'tvm-rpc' with a tracker, or a host target"
            )
        started = time.perf_counter()
        executable, coverage = build_with_coverage(data, target, self.database)
        build_s = time.perf_counter() - started
        array = np.random.default_rng(0).standard_normal(dims).astype("float32")
        if device.access.method != "tvm-rpc":
            dev = tvm.cpu()
            if settings.threads is not None:
                # mode 0 (no core affinity), n worker threads for this process's kernels
                tvm.get_global_func("runtime.config_threadpool")(0, settings.threads)
            vm = relax.VirtualMachine(executable, dev)
            x = tvm.runtime.tensor(array, dev)

            def run_local(iterations: int, number: int) -> list[float]:
                timer = vm.time_evaluator("main", dev, number=number, repeat=iterations)
                return [r * 1e3 for r in timer(x).results]

            return _Handle(
                run_local,
                None,
                target,
                False,
                self.database is not None,
                build_s,
                coverage,
                keep=[vm, x],
            )

        folder = tempfile.mkdtemp(prefix="hwnas-tvm-")
        library = export_library(
            executable, folder, target, device.properties.get("cross_compiler")
        )
        state: dict[str, Any] = {}

        def connect() -> None:
            from tvm import rpc

            access = device.access
            check_board(device, timeout_s)

            def request() -> Any:
                tracker = rpc.connect_tracker(access.tracker_host, int(access.tracker_port))
                return tracker.request(
                    access.rpc_key, priority=1, session_timeout=timeout_s, max_retry=2
                )

            remote = _call_with_timeout(
                request,
                timeout_s,
                f"TVM RPC tracker {access.tracker_host}:{access.tracker_port} "
                f"(key {access.rpc_key!r}; is the board's rpc_server running and registered?)",
            )

            def load() -> None:
                if settings.threads is not None:
                    remote.get_function("runtime.config_threadpool")(0, settings.threads)
                remote.upload(library)
                remote_dev = remote.cpu()
                vm = relax.VirtualMachine(remote.load_module("model.so"), remote_dev)
                state.update(
                    remote=remote, dev=remote_dev, vm=vm, x=tvm.runtime.tensor(array, remote_dev)
                )

            _call_with_timeout(load, timeout_s, f"upload to board {device.name}")

        def run_remote(iterations: int, number: int) -> list[float]:
            def timed() -> list[float]:
                timer = state["vm"].time_evaluator(
                    "main", state["dev"], number=number, repeat=iterations
                )
                return [r * 1e3 for r in timer(state["x"]).results]

            return _call_with_timeout(
                timed, timeout_s, f"board {device.name} ({device.access.rpc_key})"
            )

        connect()
        return _Handle(
            run_remote,
            connect,
            target,
            True,
            self.database is not None,
            build_s,
            coverage,
            keep=[state, folder],
        )

    def _run(self, handle: _Handle, iterations: int) -> list[float]:
        """Per-inference latencies (the warm-up, which sizes the groups)."""
        return self._timed(handle, iterations, 1)

    def _inferences_per_sample(
        self, handle: _Handle, settings: ProfileSettings, warm: list[float]
    ) -> int:
        if self.number is not None:  # fixed by the caller
            return self.number
        return super()._inferences_per_sample(handle, settings, warm)

    def _run_groups(self, handle: _Handle, groups: int, per_group: int) -> list[float]:
        """TVM's evaluator averages `number` runs per repeat: the protocol's groups, once."""
        handle.number = per_group
        return self._timed(handle, groups, per_group)

    def _timed(self, handle: _Handle, repeat: int, number: int) -> list[float]:
        try:
            return handle.run_timed(repeat, number)
        except Exception:
            if handle.reconnect is None or handle.retries >= 1:
                raise
            handle.retries += 1  # one retry on a lost session: a fresh session and upload
            handle.reconnect()
            return handle.run_timed(repeat, number)

    def _close(self, handle: _Handle) -> None:
        import shutil

        for item in handle.keep:
            if isinstance(item, str) and item.startswith(tempfile.gettempdir()):
                shutil.rmtree(item, ignore_errors=True)
            elif isinstance(item, dict):
                item.clear()  # drops the remote session: the tracker frees the board
        handle.keep.clear()

    def _environment(self, handle: _Handle) -> dict[str, Any]:
        return {
            "versions": package_versions("apache-tvm", "apache-tvm-ffi", "onnx"),
            "tvm_target": handle.target,
            "tuned": handle.tuned,
            "tuning_database": str(self.database) if self.database else None,
            "tuning_coverage": handle.coverage,
            "remote": handle.remote,
            "build_s": round(handle.build_s, 3),
            "rpc_retries": handle.retries,
            "number_per_sample": handle.number,
        }
