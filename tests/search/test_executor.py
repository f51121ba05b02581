"""Executors: the local default, and Ray (extra `ray`, installed by the test extra): a local
Ray instance in this process, and a real Ray head node on 127.0.0.1 joined by `hwnas search`."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hwnas.core import MissingDependencyError, UnknownPluginError
from hwnas.search import (
    RayExecutor,
    SearchConfig,
    SourceContext,
    create_executor,
    create_source,
    list_executors,
    run_search,
)

HAS_RAY = importlib.util.find_spec("ray") is not None


def test_registry() -> None:
    assert list_executors() == ["local", "ray"]
    with pytest.raises(UnknownPluginError, match="known executors: local, ray"):
        create_executor("dask")


def test_local_executor_keeps_order(data_dir, nb201) -> None:
    source = create_source("table", "pi5-onnx", SourceContext("nb201", "latency"))
    archs = nb201.sample(5, seed=3)
    assert create_executor("local").values(source, archs) == source.values(archs)


def test_ray_missing_names_the_extra() -> None:
    # A fresh interpreter where `import ray` fails, as on a machine without the extra.
    code = ("import sys; sys.modules['ray'] = None\n"
            "from hwnas.search import RayExecutor\n"
            "try:\n    RayExecutor()\nexcept Exception as error:\n    print(type(error).__name__, error)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("MissingDependencyError"), done.stdout + done.stderr
    assert "pip install 'hwnas[ray]'" in done.stdout


@pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (extra `ray`)")
def test_ray_executor_matches_local(tmp_path, data_dir) -> None:
    executor = RayExecutor(num_cpus=2)
    try:
        config = SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx", strategy="random",
                              budget=16, seed=5, bands=2)
        on_ray = run_search(config, tmp_path / "ray", executor=executor)
        local = run_search(config, tmp_path / "local")
        assert on_ray.front == local.front and on_ray.hv == local.hv
    finally:
        executor.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def ray_head(tmp_path_factory):
    """A real Ray head node on 127.0.0.1 (`ray start --head --block`), torn down by PID."""
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip("the ray command is not installed next to this Python")
    port = _free_port()
    temp_dir = Path("/tmp") / f"hwnas-ray-{os.getpid()}-{port}"  # Ray limits socket path length
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    process = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={temp_dir}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, "ray start --head exited early"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("the Ray head did not open its port within 120 s")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (extra `ray`)")
def test_search_cli_on_a_ray_cluster(tmp_path, data_dir, ray_head) -> None:
    def search(*extra: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "hwnas", "search", "--space", "nb201",
             "--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx",
             "--strategy", "random", "--budget", "12", "--seed", "3", "--bands", "2",
             "--format", "json", *extra],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, RAY_AUTH_MODE="disabled"))
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    on_cluster = search("--out", str(tmp_path / "ray"), "--executor", "ray",
                        "--ray-address", ray_head)
    local = search("--out", str(tmp_path / "local"))
    assert on_cluster["evaluations"] == local["evaluations"] == 12
    assert on_cluster["front"] == local["front"]
    with sqlite3.connect(tmp_path / "ray" / on_cluster["run"] / "run.sqlite") as db:
        started = json.loads(db.execute(
            "SELECT data_json FROM events WHERE kind = 'started'").fetchone()[0])
    assert started["executor"]["executor"] == "ray"
    assert started["executor"]["address"] == ray_head and started["executor"]["cpus"] == 1


def test_unreachable_ray_cluster_is_one_line(tmp_path, data_dir) -> None:
    if not HAS_RAY:
        pytest.skip("ray is not installed (extra `ray`)")
    done = subprocess.run(
        [sys.executable, "-m", "hwnas", "search", "--space", "nb201",
         "--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx",
         "--strategy", "random", "--budget", "4", "--out", str(tmp_path),
         "--executor", "ray", "--ray-address", f"127.0.0.1:{_free_port()}"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, RAY_AUTH_MODE="disabled"))
    assert done.returncode == 2
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert "ray-address" in lines[-1] and "Traceback" not in done.stderr
