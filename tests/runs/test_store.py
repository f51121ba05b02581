from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hwnas.core import Architecture, Candidate, Measurement, ObjectiveValue, RunStoreError
from hwnas.runs import RunStore, list_runs


def _candidate(i: int) -> Candidate:
    arch = Architecture("nb201", f"arch-{i}")
    return Candidate(arch, {"err": ObjectiveValue("err", float(i), "percent", "table")}, band=i % 3)


def test_create_add_reopen(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {"budget": 10, "objectives": ["err"]}, "random", seed=3)
    assert store.add_candidate(_candidate(1), extra={"round": 0})
    assert not store.add_candidate(_candidate(1))  # already stored: nothing written
    store.add_candidate(_candidate(2))
    store.add_measurement(Measurement("id", "host-cpu", "onnxruntime", 1, "fp32", 1, 2, 1, 0.1, 10))
    store.add_knowledge(0, 1, {"heuristics": ["fewer pools"]})
    store.log_event("round", {"index": 1})
    run_id = store.run_id
    store.close()

    again = RunStore.open(run_id, tmp_path)
    assert [c.architecture.string for c in again.candidates()] == ["arch-1", "arch-2"]
    assert again.candidates()[0] == _candidate(1)
    assert again.candidate_extras()[0] == {"round": 0}
    assert again.measurements()[0].latency_p50_ms == 1
    assert again.knowledge()[0]["content"] == {"heuristics": ["fewer pools"]}
    assert again.events("round")[0]["data"] == {"index": 1}
    assert again.config == {"budget": 10, "objectives": ["err"]} and again.seed == 3
    record = again.record()
    assert len(record.candidates) == 2 and record.strategy == "random"
    assert [r.run_id for r in list_runs(tmp_path)] == [run_id]
    with pytest.raises(RunStoreError, match="already exists"):
        RunStore.create(tmp_path, {}, "random", 0, run_id=run_id)


def test_open_errors(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="no run 'missing'"):
        RunStore.open("missing", tmp_path)
    store = RunStore.create(tmp_path, {}, "random", 0, run_id="r1")
    store.close()
    with sqlite3.connect(tmp_path / "r1" / "run.sqlite") as connection:
        connection.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(RunStoreError, match="schema 99, this hwnas reads 1"):
        RunStore.open("r1", tmp_path)


WRITER = textwrap.dedent(
    """
    import sys
    from hwnas.core import Architecture, Candidate, ObjectiveValue
    from hwnas.runs import RunStore
    store = RunStore.open(sys.argv[1])
    i = 0
    while True:
        arch = Architecture("nb201", f"arch-{i}")
        store.add_candidate(Candidate(arch, {"err": ObjectiveValue("err", float(i), "percent", "table")}),
                            extra={"payload": "x" * 2000})
        print(i, flush=True)
        i += 1
    """
)


def test_store_survives_a_killed_writer(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {}, "random", 0, run_id="killed")
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "killed")],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    last = -1
    deadline = time.monotonic() + 120
    while last < 300 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            last = int(line)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert last >= 300, "the writer was too slow to test"

    reopened = RunStore.open(tmp_path / "killed")
    assert reopened.integrity_ok()
    strings = [c.architecture.string for c in reopened.candidates()]
    # Every write acknowledged before the kill is there, in order, with no gap.
    assert len(strings) >= last + 1
    assert strings == [f"arch-{i}" for i in range(len(strings))]
    # The store keeps working after the crash.
    assert reopened.add_candidate(_candidate(10_000))
