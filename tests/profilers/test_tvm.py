"""The TVM profiler: a real rpc_tracker and rpc_server on 127.0.0.1, the aarch64 cross
build, and MetaSchedule tuning into a shared database."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from hwnas.core import DeviceAccess, DeviceError, DeviceSpec
from hwnas.devices import get_device
from hwnas.profilers import (
    ModelSource,
    ProfileSettings,
    create_profiler,
    start_server,
    start_tracker,
    stop_process_tree,
)

pytest.importorskip("tvm", reason="apache-tvm not installed (pip install 'hwnas[tvm]')")

ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
KEY = "hwnas-test-board"
SETTINGS = ProfileSettings(warmup=2, min_repeats=5, max_repeats=15, timeout_s=60)


@pytest.fixture(scope="module")
def tiny() -> ModelSource:
    # one NB201 cell at 8x8 input: a real network, seconds to build
    return ModelSource.from_architecture(ARCH, "nb201", input_shape=(3, 8, 8), num_classes=5)


@pytest.fixture(scope="module")
def matmul() -> ModelSource:
    """One MatMul: builds in about a second, for the paths that do not need a network."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((16, 8), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
        initializer=[weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return ModelSource.from_onnx(model.SerializeToString())


def tree(pid: int) -> list[int]:
    process = psutil.Process(pid)
    return [pid, *(c.pid for c in process.children(recursive=True))]


@pytest.fixture(scope="module")
def farm():
    """A tracker and one board's rpc_server on 127.0.0.1, stopped (children too) by PID."""
    from hwnas.profilers._tvm_rpc import wait_for_key, wait_listening

    # both at once: each spends seconds importing tvm, and the server retries the tracker
    tracker = start_tracker("127.0.0.1", wait=False)
    server = start_server("127.0.0.1", tracker.port, KEY, wait=False)
    pids = []
    try:
        wait_listening(tracker)
        wait_listening(server)
        wait_for_key("127.0.0.1", tracker.port, KEY, timeout_s=60)
        pids = tree(tracker.pid) + tree(server.pid)
        yield tracker, server
    finally:
        server.stop()
        tracker.stop()
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


def board(tracker_port: int, key: str = KEY) -> DeviceSpec:
    host = get_device("host-cpu")
    access = DeviceAccess(
        method="tvm-rpc",
        tracker_host="127.0.0.1",
        tracker_port=tracker_port,
        rpc_key=key,
        timeout_s=60,
    )
    return dataclasses.replace(host, name="rpc-board", access=access)


def test_local_build_and_time(matmul):
    m = create_profiler("tvm").profile(matmul, "host-cpu", SETTINGS)
    assert m.profiler == "tvm" and m.latency_p50_ms > 0 and m.repeats >= 5
    assert m.environment["tuned"] is False and m.environment["remote"] is False
    assert m.environment["tvm_target"]["kind"] == "llvm"
    # grouped once, by TVM's own evaluator (number = the protocol's group size)
    per_sample = m.environment["inferences_per_sample"]
    assert per_sample > 1 and m.environment["number_per_sample"] == per_sample
    assert m.environment["per_inference_cv"] is None  # the evaluator reports group means only


def test_through_a_real_tracker_and_rpc_server(farm, tiny):
    tracker, _ = farm
    m = create_profiler("tvm").profile(tiny, board(tracker.port), SETTINGS)
    assert m.device == "rpc-board" and m.environment["remote"] is True
    assert m.latency_p50_ms > 0 and m.environment["rpc_retries"] == 0


def test_unknown_board_fails_fast_with_the_command_to_fix_it(farm, matmul):
    tracker, _ = farm
    started = time.monotonic()
    with pytest.raises(DeviceError, match="no board is registered as 'dead-board'.*rpc_server"):
        create_profiler("tvm").profile(matmul, board(tracker.port, "dead-board"), SETTINGS)
    assert time.monotonic() - started < 30


def test_unreachable_tracker_is_a_clear_device_error(matmul):
    from hwnas.profilers._tvm_rpc import free_port

    started = time.monotonic()
    with pytest.raises(DeviceError, match="cannot reach the TVM RPC tracker"):
        create_profiler("tvm").profile(matmul, board(free_port()), SETTINGS)
    assert time.monotonic() - started < 30


def test_lost_session_is_retried_once_on_a_fresh_session(farm, matmul):
    tracker, _ = farm
    key = "hwnas-flaky-board"
    first = start_server("127.0.0.1", tracker.port, key)
    from hwnas.profilers._tvm_rpc import wait_for_key

    second = None
    try:
        wait_for_key("127.0.0.1", tracker.port, key)
        profiler = create_profiler("tvm")
        device = board(tracker.port, key)
        handle = profiler._prepare(matmul, device, SETTINGS)
        first.stop()  # the board reboots: its session is gone
        second = start_server("127.0.0.1", tracker.port, key)
        wait_for_key("127.0.0.1", tracker.port, key)
        samples = profiler._run(handle, 3)
        assert len(samples) == 3 and handle.retries == 1
        profiler._close(handle)
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_aarch64_cross_compile_builds_an_arm64_library(tmp_path, matmul):
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        pytest.skip(
            "cross compiler missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
        )
    from hwnas.toolchain import build, device_target, export_library

    target = device_target(get_device("raspberry-pi-5"))
    assert target["mtriple"] == "aarch64-linux-gnu"
    executable = build(matmul.onnx_bytes(1), target, None)
    path = export_library(executable, str(tmp_path), target, "aarch64-linux-gnu-gcc")
    header = open(path, "rb").read(20)
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


@pytest.mark.parametrize("name", ["raspberry-pi-4", "raspberry-pi-5"])
def test_pi_targets_take_their_core_count_from_the_catalog(name):
    from hwnas.toolchain import device_target

    spec = get_device(name)
    assert spec.properties["cores"] == 4
    target = device_target(spec)
    assert target["num-cores"] == 4 and target["mtriple"] == "aarch64-linux-gnu"
    other = dataclasses.replace(spec, properties={**spec.properties, "cores": 2})
    assert device_target(other)["num-cores"] == 2  # read from the entry, not assumed


def test_cross_target_without_a_board_says_how_to_reach_it(matmul):
    spec = dataclasses.replace(get_device("raspberry-pi-5"), access=DeviceAccess(method="local"))
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        pytest.skip("cross compiler missing")
    with pytest.raises(DeviceError, match="tvm-rpc"):
        create_profiler("tvm").profile(matmul, spec, SETTINGS)


def test_process_tree_stop_kills_children():
    tracker = start_tracker("127.0.0.1")
    pids = tree(tracker.pid)
    stop_process_tree(tracker.pid)
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    tracker.stop()  # already dead: its log is kept for reading
    assert Path(tracker.log_path).is_file()
    Path(tracker.log_path).unlink()


def test_a_temporary_log_goes_with_a_clean_stop_and_a_named_one_stays(tmp_path):
    tracker = start_tracker("127.0.0.1")
    log = Path(tracker.log_path)
    assert log.is_file() and log.parent == Path(tempfile.gettempdir())
    tracker.stop()
    assert not log.exists()
    named = tmp_path / "tracker.log"
    kept = start_tracker("127.0.0.1", log_path=str(named))
    kept.stop()
    assert named.is_file()


def test_a_database_without_records_is_refused_with_the_fix(tmp_path, matmul):
    from hwnas.core import ConfigError

    with pytest.raises(ConfigError, match="tune_tvm"):
        create_profiler("tvm", database=tmp_path / "empty").profile(matmul, "host-cpu", SETTINGS)


def matmul_file(path, value: float, relu: bool = False) -> str:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.full((16, 8), value, dtype=np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m" if relu else "y"])]
    if relu:  # fused with the matmul: a variant of the same anchor block
        nodes.append(helper.make_node("Relu", ["m"], ["y"]))
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
        initializer=[weight],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


def test_profile_cli_tunes_once_into_a_database_beside_the_table(tmp_path):
    """`hwnas profile --profiler tvm --out t.csv --tune-trials N`: t.tvm-tuning/ is made
    beside the table on first use and filled once; a second network whose task is a fused
    variant of the same workload (matmul + relu) reuses it (no trials) and is measured
    with tuned code."""
    import json
    import subprocess
    import sys

    table = tmp_path / "tables" / "host.csv"
    table.parent.mkdir()
    database = tmp_path / "tables" / "host.tvm-tuning"
    fast = ["--warmup", "2", "--min-repeats", "5", "--max-repeats", "15", "--format", "json"]

    def profile(model: str, *extra: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "hwnas", "profile", "--device", "host-cpu", "--profiler",
             "tvm", "--model", model, "--out", str(table), *fast, *extra],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = profile(matmul_file(tmp_path / "a.onnx", 1.0), "--tune-trials", "2")
    assert first["tuning_db"] == str(database) and (database / "tuning_records.json").is_file()
    assert first["tuning"]["tasks_tuned"] == 1 and first["tuning"]["trials"] == 2
    assert first["measurement"]["environment"]["tuned"] is True
    assert first["tuning_coverage_min"] == 1.0
    second = profile(matmul_file(tmp_path / "b.onnx", 2.0, relu=True), "--tune-trials", "2")
    assert second["measured"] == 1 and second["tuning_db"] == str(database)
    assert second["tuning"]["tasks_reused"] == 1 and second["tuning"]["trials"] == 0
    assert second["measurement"]["environment"]["tuning_coverage"] == 1.0
    assert len(table.read_text().strip().splitlines()) == 3  # header and both networks

    from hwnas.profilers import tune_tvm

    # across models, tasks equal under the database's anchor-block equality count once
    both = tune_tvm(
        [matmul_file(tmp_path / "c.onnx", 3.0), matmul_file(tmp_path / "d.onnx", 4.0, relu=True)],
        "host-cpu", database, trials_per_task=2,
    )
    assert both.tasks_seen == 1 and both.tasks_reused == 1 and both.trials == 0
