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
        value = ObjectiveValue("err", float(i), "percent", "table")
        store.add_candidate(Candidate(arch, {"err": value}), extra={"payload": "x" * 2000})
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


def _measurement(environment: dict[str, object] | None = None) -> Measurement:
    return Measurement("arch-1", "host-cpu", "onnxruntime", 1, "fp32", 1.0, 2.0, 1.0, 0.1, 10,
                       environment=environment or {})


def test_a_candidate_and_its_measurements_land_together_or_not_at_all(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {}, "random", 0, run_id="atomic")
    # The second measurement cannot be written (not JSON): the whole group must roll back,
    # or a resume would find the candidate, skip it, and never add its measurements.
    broken = _measurement({"clock": object()})
    with pytest.raises(TypeError):
        store.add_candidate_with_measurements(_candidate(1), {}, [_measurement(), broken])
    assert store.count_candidates() == 0 and store.measurements() == []
    assert store.add_candidate_with_measurements(_candidate(1), {}, [_measurement()])
    assert store.count_candidates() == 1 and len(store.measurements()) == 1
    store.close()


def test_a_failed_create_leaves_no_half_made_run_folder(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        RunStore.create(tmp_path, {"not json": object()}, "random", 0, run_id="half")
    assert list(tmp_path.iterdir()) == []
    assert list_runs(tmp_path) == []


HOLDER = textwrap.dedent(
    """
    import sys, time
    from hwnas.runs import RunStore
    store = RunStore.open(sys.argv[1], lock=True)
    print("locked", flush=True)
    time.sleep(120)
    """
)


def test_a_second_process_cannot_resume_a_run_in_use(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {}, "random", 0, run_id="busy")
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "busy")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunStoreError, match=rf"in use by another process \(pid {holder.pid}\)"):
            RunStore.open("busy", tmp_path, lock=True)
        reader = RunStore.open("busy", tmp_path)  # reading needs no lock
        assert reader.run_id == "busy"
        reader.close()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The lock dies with its process: a killed run can be resumed at once.
    RunStore.open("busy", tmp_path, lock=True).close()
