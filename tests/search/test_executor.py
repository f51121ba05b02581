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

from hwnas.core import UnknownPluginError
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
def test_ray_executor_matches_local(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # the test's choice; hwnas sets none
    executor = RayExecutor(num_cpus=2)
    try:
        config = SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx", strategy="random",
                              budget=16, seed=5, bands=2)
        on_ray = run_search(config, tmp_path / "ray", executor=executor)
        local = run_search(config, tmp_path / "local")
        assert on_ray.front == local.front and on_ray.hv == local.hv
    finally:
        executor.close()


HUNG_WORKER = """
import json, os, sys, time
import ray
from hwnas.search import RayExecutor, SourceContext, create_source
from hwnas.spaces import create_space

executor = RayExecutor(num_cpus=1, timeout_s=5)
auth = os.environ.get("RAY_AUTH_MODE")
blocker = ray.remote(num_cpus=1)(lambda: time.sleep(3600)).remote()  # holds the only CPU
source = create_source("table", "pi5-onnx", SourceContext("nb201", "latency"))
archs = create_space("nb201").sample(3, seed=1)
started = time.monotonic()
hung = executor.values(source, archs)
waited = time.monotonic() - started
ray.cancel(blocker, force=True)
executor.timeout_s = 300.0  # a fresh worker may take a while to start on a busy host
after = executor.values(source, archs)
local = source.values(archs)
print(json.dumps({"auth": auth, "waited": waited, "hung": [v.error for v in hung],
                  "after": [v.value for v in after], "local": [v.value for v in local],
                  "describe": executor.describe()}))
executor.close()
"""


@pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (extra `ray`)")
def test_a_hung_ray_worker_fails_its_evaluations_and_auth_is_the_users(tmp_path, data_dir) -> None:
    """A task that never starts (the cluster's one CPU is held) fails with one line after
    `timeout_s`, not hang the run; the user's Ray auth mode is left alone (unset here: Ray's
    own default, token auth with a token under $HOME, which is the temporary folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env.update(HOME=str(tmp_path), HWNAS_DATA=str(data_dir), RAY_USAGE_STATS_ENABLED="0")
    done = subprocess.run([sys.executable, "-c", HUNG_WORKER], capture_output=True, text=True,
                          timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["auth"] != "disabled"  # hwnas used to force RAY_AUTH_MODE=disabled
    assert (tmp_path / ".ray" / "auth_token").exists()
    assert 5 <= result["waited"] < 120
    assert len(result["hung"]) == 3
    for error in result["hung"]:
        assert "gave no result within 5 s" in error and "--ray-timeout" in error
        assert "\n" not in error
    assert result["after"] == result["local"] and None not in result["after"]
    assert result["describe"]["timeout_s"] == 300.0


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
