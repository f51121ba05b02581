"""`hwnas profile` through the real entry point: output, resume after a kill, errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from hwnas.profilers import KEY_COLUMNS, MEASUREMENT_COLUMNS

FAST = [
    "--warmup",
    "2",
    "--min-repeats",
    "5",
    "--max-repeats",
    "20",
    "--max-seconds",
    "2",
    "--input-shape",
    "3,8,8",
    "--threads",
    "1",
]
ARCH = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|"


def hwnas(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hwnas", *args], capture_output=True, text=True, timeout=timeout
    )


def rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_json_summary_and_generic_table(tmp_path):
    out = tmp_path / "m.csv"
    done = hwnas(
        "profile",
        "--device",
        "host-cpu",
        "--space",
        "nb201",
        "--sample",
        "2",
        "--out",
        str(out),
        "--format",
        "json",
        *FAST,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["device"] == "host-cpu" and summary["profiler"] == "onnxruntime"
    assert summary["measured"] == 2 and summary["median_cv"] >= 0
    table = rows(out)
    assert len(table) == 2 and set(MEASUREMENT_COLUMNS) <= set(table[0])
    assert all(float(r["latency_p50_ms"]) > 0 and r["device"] == "host-cpu" for r in table)

    from hwnas.benchmarks import read_measurement_table

    read = read_measurement_table(out)
    assert len(read) == 2 and "latency_p50_ms" in read.metrics


def test_roofline_on_a_board_that_is_not_here(tmp_path):
    done = hwnas(
        "profile",
        "--device",
        "raspberry-pi-5",
        "--profiler",
        "roofline",
        "--arch",
        ARCH,
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["profiler"] == "roofline" and summary["measured"] == 1
    assert summary["measurement"]["energy_mj"] > 0


def test_bad_input_is_one_line_with_the_fix(tmp_path):
    done = hwnas("profile", "--device", "host-cpu", "--arch", ARCH, "--sample", "2")
    assert done.returncode == 2 and "exactly one of" in done.stderr
    assert "Traceback" not in done.stderr
    done = hwnas("profile", "--device", "no-such-board", "--arch", ARCH)
    assert done.returncode == 2 and "unknown device" in done.stderr
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    done = hwnas("profile", "--device", "host-cpu", "--arch", ARCH, "--out", str(bad))
    assert done.returncode == 2 and "not a measurement table" in done.stderr
    assert bad.read_text() == "a,b\n1,2\n"  # nothing lost
    done = hwnas("profile", "--device", "host-cpu", "--arch", ARCH, "--tune-trials", "2")
    assert done.returncode == 2 and "--tune-trials is for the tvm profiler" in done.stderr
    done = hwnas(
        "profile", "--device", "host-cpu", "-p", "tvm", "--arch", ARCH, "--tune-trials", "2"
    )
    assert done.returncode == 2 and "needs a place for the tuning database" in done.stderr


def test_sample_ms_groups_inferences_and_is_validated():
    done = hwnas(
        "profile", "--device", "host-cpu", "--arch", ARCH, "--format", "json", "--sample-ms", "5",
        *FAST,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    environment = summary["measurement"]["environment"]
    assert summary["sample_ms"] == 5 and environment["min_sample_ms"] == 5
    assert environment["inferences_per_sample"] > 1 and environment["per_inference_cv"] >= 0
    bad = hwnas("profile", "--device", "host-cpu", "--arch", ARCH, "--sample-ms", "-1")
    assert bad.returncode == 2 and "min_sample_ms must be between 0" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_killed_run_resumes_without_duplicates_or_losses(tmp_path):
    out = tmp_path / "resume.csv"
    command = [
        sys.executable,
        "-m",
        "hwnas",
        "profile",
        "--device",
        "host-cpu",
        "--space",
        "nb201",
        "--sample",
        "8",
        "--seed",
        "3",
        "--out",
        str(out),
        *FAST,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    before: list[dict[str, str]] = []
    try:
        while time.monotonic() < deadline:
            if out.exists():
                before = rows(out)
                if len(before) >= 2:
                    break
            if process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run finished before it could be killed; sample more"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    killed = rows(out)
    assert 2 <= len(killed) < 8
    assert out.read_bytes().endswith(b"\n")  # whole rows only
    done = subprocess.run(
        command + ["--format", "json"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["skipped"] == len(killed) and summary["measured"] == 8 - len(killed)
    after = rows(out)
    keys = [tuple(r[c] for c in KEY_COLUMNS) for r in after]
    assert len(after) == 8 and len(set(keys)) == 8
    assert after[: len(killed)] == killed  # what was measured before the kill is kept as is
    again = hwnas("profile", *command[4:], "--format", "json")
    assert json.loads(again.stdout)["measured"] == 0 and len(rows(out)) == 8


def test_torn_last_line_is_kept_closed_and_not_counted_on_resume(tmp_path):
    out = tmp_path / "torn.csv"
    first = hwnas("profile", "--device", "host-cpu", "--arch", ARCH, "--out", str(out), *FAST)
    assert first.returncode == 0, first.stderr
    whole = out.read_bytes()
    torn = b"|skip_connect~0|+|none~0|skip_co"
    out.write_bytes(whole + torn)  # died inside a write
    again = hwnas(
        "profile",
        "--device",
        "host-cpu",
        "--arch",
        ARCH,
        "--out",
        str(out),
        "--format",
        "json",
        *FAST,
    )
    assert json.loads(again.stdout)["skipped"] == 1
    assert "1 incomplete row(s)" in again.stderr
    assert out.read_bytes() == whole + torn + b"\n"  # never cut: closed with a newline


@pytest.mark.parametrize("flag", ["--all-unique"])
def test_all_unique_counts_the_isomorphism_classes(flag, tmp_path):
    out = tmp_path / "all.csv"
    # every unique cell is already in the table: nothing is measured, all are skipped
    from hwnas.spaces import create_space

    space = create_space("nb201")
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MEASUREMENT_COLUMNS)
        writer.writeheader()
        for arch in space.unique():
            writer.writerow(
                {
                    "arch": arch.string,
                    "arch_id": arch.arch_id,
                    "device": "host-cpu",
                    "profiler": "onnxruntime",
                    "batch_size": 1,
                    "precision": "fp32",
                    "latency_p50_ms": 1.0,
                }
            )
    done = hwnas("profile", "--device", "host-cpu", flag, "--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["requested"] == 6466 and summary["skipped"] == 6466 and summary["measured"] == 0
