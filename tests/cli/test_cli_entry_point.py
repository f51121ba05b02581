"""The CLI through its real entry point (a subprocess running `python -m hwnas`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hwnas.core import Architecture, Candidate, ObjectiveValue
from hwnas.runs import RunStore


def hwnas(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hwnas", *args], capture_output=True, text=True, timeout=300,
        cwd=cwd, env={**os.environ, **(env or {})},
    )


def test_version() -> None:
    result = hwnas("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("hwnas 0.")


def test_space_info_json() -> None:
    result = hwnas("space", "info", "nb201", "--format", "json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["name"] == "nb201" and info["size"] == 15625 and info["unique"] == 6466


def test_space_sample_is_seeded_and_valid(nb201) -> None:
    first = json.loads(hwnas("space", "sample", "nb201", "-n", "4", "--seed", "7", "--format", "json").stdout)
    second = json.loads(hwnas("space", "sample", "nb201", "-n", "4", "--seed", "7", "--format", "json").stdout)
    assert first == second and len(first) == 4
    for item in first:
        assert nb201.parse(item["string"]).arch_id == item["arch_id"]


def test_malformed_architecture_is_one_line_exit_2() -> None:
    result = hwnas("space", "parse", "nb201", "|none~0|+|bad~0|none~1|+|none~0|none~1|none~2|")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown op 'bad'" in lines[0]
    assert "Traceback" not in result.stderr


def test_devices_list_and_show() -> None:
    devices = json.loads(hwnas("devices", "list", "--format", "json").stdout)
    names = {d["name"] for d in devices}
    assert {"raspberry-pi-5", "jetson-orin-nano", "host-cpu"} <= names
    shown = json.loads(hwnas("devices", "show", "raspberry-pi-5", "--format", "json").stdout)
    assert shown["peak_gflops"]["fp32"] == 153.6
    result = hwnas("devices", "show", "jetson")
    assert result.returncode == 2 and "matches several devices" in result.stderr


def test_bench_show_reports_validation(data_dir: Path) -> None:
    result = hwnas("bench", "show", "pi5", "--format", "json", env={"HWNAS_DATA": str(data_dir)})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["architectures"] == 15625
    assert summary["validation"]["invalid_values"]["litert/cifar100/latency_ms"] > 0
    text = hwnas("bench", "show", str(data_dir / "nb201" / "accuracy.csv"))
    assert "no problems found" in text.stdout


def test_runs_list_and_show(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {"budget": 5}, "random", 1, run_id="run-a")
    arch = Architecture("nb201", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    store.add_candidate(Candidate(arch, {"err": ObjectiveValue("err", 9.0, "percent", "table")}, 0))
    store.close()
    listed = json.loads(hwnas("runs", "list", "--dir", str(tmp_path), "--format", "json").stdout)
    assert [r["run_id"] for r in listed] == ["run-a"] and listed[0]["candidates"] == 1
    shown = json.loads(hwnas("runs", "show", "run-a", "--dir", str(tmp_path), "--format", "json").stdout)
    assert shown["candidates"][0]["objectives"]["err"]["value"] == 9.0
    missing = hwnas("runs", "show", "nope", "--dir", str(tmp_path))
    assert missing.returncode == 2 and "hwnas runs list" in missing.stderr


def test_an_operating_system_error_is_one_line_exit_2() -> None:
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    result = hwnas("profile", "--device", "host-cpu", "--profiler", "roofline", "--arch", arch,
                   "--out", "/dev/full")  # every write to /dev/full fails: disk full
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "No space left on device" in lines[0], result.stderr
    assert "free some space" in lines[0] and "Traceback" not in result.stderr


def test_ctrl_c_says_how_to_resume_and_the_resume_finishes(tmp_path: Path) -> None:
    import signal
    import time

    out = tmp_path / "runs"
    command = [sys.executable, "-m", "hwnas", "search", "--space", "nb201", "--objectives",
               "accuracy=proxy:synflow,latency=table:pi5-onnx", "--strategy", "random",
               "--budget", "20", "--out", str(out), "--format", "json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        folders = list(out.glob("*/run.sqlite"))
        if folders and RunStore.open(folders[0].parent).count_candidates() >= 2:
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "resume with `hwnas search --resume" in lines[0], stderr
    folder = lines[0].split("--resume ")[1].rstrip("`")
    stored = RunStore.open(folder).count_candidates()
    assert 2 <= stored < 20
    resumed = hwnas("search", "--resume", folder, "--format", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["evaluations"] == 20
    with RunStore.open(folder) as store:
        assert store.count_candidates() == 20 and store.status == "finished"
        [finished] = store.events("finished")
        assert finished["data"]["replayed"] == stored
