"""Kill -9 a real `hwnas search` mid-run, resume it, and compare with an unbroken run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from search_cli import PROJECT_ROOT, run_cli

from hwnas.runs import RunStore

ARGS = ["search", "--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx",
        "--strategy", "coevo", "--bands", "3", "--budget", "48", "--seed", "7",
        "--device", "raspberry-pi-5", "--format", "json"]


def _stored(folder: Path) -> int:
    database = next(folder.glob("*/run.sqlite"), None)
    if database is None:
        return 0
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def _sequence(run_folder: Path) -> list[str]:
    with RunStore.open(run_folder) as store:
        return [c.architecture.string for c in store.candidates()]


def test_kill_then_resume_loses_and_repeats_nothing(tmp_path: Path, data_dir: Path) -> None:
    unbroken = run_cli(*ARGS, "--out", str(tmp_path / "unbroken"))
    assert unbroken.returncode == 0, unbroken.stderr
    reference = json.loads(unbroken.stdout)
    assert reference["evaluations"] == 48

    killed_root = tmp_path / "killed"
    env = dict(os.environ, HWNAS_DATA=str(data_dir))
    process = subprocess.Popen([sys.executable, "-m", "hwnas", *ARGS, "--out", str(killed_root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 240
    while _stored(killed_root) < 20 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    run_folder = next(killed_root.glob("*/run.sqlite")).parent
    before = _sequence(run_folder)
    assert 20 <= len(before) < 48

    resumed = run_cli("search", "--resume", run_folder.name, "--out", str(killed_root),
                      "--format", "json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    after = _sequence(run_folder)
    assert result["run"] == run_folder.name
    assert result["evaluations"] == 48
    assert after[: len(before)] == before  # nothing lost
    assert len(set(after)) == len(after) == 48  # nothing repeated
    assert after == _sequence(next((tmp_path / "unbroken").glob("*/run.sqlite")).parent)
    for key in ("hv", "hv_ratio", "igd", "recall", "front_size"):
        assert result[key] == reference[key]
    with RunStore.open(run_folder) as store:
        events = store.events()
        assert store.status == "finished"
    resumed_events = [e for e in events if e["kind"] == "resumed"]
    assert resumed_events[0]["data"]["stored_candidates"] == len(before)
    finished = [e for e in events if e["kind"] == "finished"][-1]["data"]
    assert finished["replayed"] == len(before)  # answered from the store, not re-evaluated


def test_a_run_in_use_by_another_process_cannot_be_resumed(tmp_path: Path, data_dir: Path) -> None:
    finished = run_cli(*ARGS[:-2], "--budget", "6", "--strategy", "random", "--format", "json",
                       "--out", str(tmp_path))
    assert finished.returncode == 0, finished.stderr
    folder = Path(json.loads(finished.stdout)["folder"])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from hwnas.runs import RunStore; "
         "RunStore.open(sys.argv[1], lock=True); print('locked', flush=True); time.sleep(120)",
         str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        second = run_cli("search", "--resume", str(folder), "--format", "json")
        assert second.returncode == 2
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and f"in use by another process (pid {holder.pid})" in lines[0]
    finally:
        holder.kill()
        holder.wait()
    assert run_cli("search", "--resume", str(folder), "--format", "json").returncode == 0
