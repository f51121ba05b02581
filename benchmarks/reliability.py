"""Reliability figures: kill -9 and resume, fuzzing, injected faults (docs/reliability.md).

    flock /work/notes/bench.lock nice -n 10 .venv/bin/python benchmarks/reliability.py
    .venv/bin/python benchmarks/reliability.py --quick          # a few minutes, no LLM runs

Sections (each resumable: results go to --work as they are made, a rerun skips what is
there; --fresh starts over):

- kill_runs: `hwnas search` runs with table objectives (coevo, nsga2, evolution, random;
  budget 60) and coevo runs with the embedded LLM (`--llm local`, small budget), each
  SIGKILLed at a random moment after its run folder exists and resumed with `--resume`;
  compared with an unbroken run of the same settings: evaluations and LLM calls lost or
  repeated, and whether the resumed candidate sequence equals the unbroken one.
- kill_profiles: `hwnas profile --out CSV` runs SIGKILLed mid-batch and rerun: rows lost
  or duplicated, and whether the file still parses.
- fuzz_archs, fuzz_replies, fuzz_tables: see reliability_fuzz.py.
- faults: see reliability_faults.py.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "llm"))  # the stand-in endpoint (fuzz_replies)
sys.path.insert(0, str(ROOT))  # this checkout's hwnas, also when another one is installed
OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"
STRATEGIES = ("coevo", "nsga2", "evolution", "random")
PROFILE_FAST = ["--warmup", "2", "--min-repeats", "5", "--max-repeats", "20", "--max-seconds",
                "2", "--input-shape", "3,8,8", "--threads", "1"]


def _env() -> dict[str, str]:
    from hwnas.benchmarks._data import find_data_dir

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    found = find_data_dir(required=False)
    if found is not None:
        env["HWNAS_DATA"] = str(found)
    return env


def _hwnas(args: list[str], timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hwnas", *args], capture_output=True, text=True,
                          env=_env(), cwd=ROOT, timeout=timeout)


def _count(database: Path, query: str) -> int:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute(query).fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def _run_database(root: Path) -> Path | None:
    return next(root.glob("*/run.sqlite"), None)


# --- kill_runs -----------------------------------------------------------------------------
def run_configs(quick: bool, llm_runs: int) -> list[dict[str, Any]]:
    table_runs = 4 if quick else 20 - llm_runs
    configs = [{"strategy": STRATEGIES[i % 4], "seed": 100 + i, "budget": 60, "bands": 3,
                "llm": False} for i in range(table_runs)]
    configs += [{"strategy": "coevo", "seed": 200 + i, "budget": 10, "bands": 1, "llm": True}
                for i in range(llm_runs)]
    return configs


def _search_args(config: dict[str, Any], out: Path) -> list[str]:
    args = ["search", "--space", "nb201", "--objectives", OBJECTIVES, "--strategy",
            config["strategy"], "--budget", str(config["budget"]), "--seed", str(config["seed"]),
            "--bands", str(config["bands"]), "--device", "raspberry-pi-5", "--no-report",
            "--format", "json", "--out", str(out)]
    if config["llm"]:
        args += ["--llm", "local", "--option", "llm_proposals=3"]
    return args


def _timed_run(args: list[str], root: Path) -> tuple[dict[str, Any], float, float]:
    """(summary, seconds until the run folder existed, total seconds) of an unbroken run."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "hwnas", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
    created = None
    while process.poll() is None:
        if created is None and _run_database(root) is not None:
            created = time.monotonic() - started
        time.sleep(0.01)
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"unbroken run failed: {err[-2000:]}")
    total = time.monotonic() - started
    return json.loads(out), created if created is not None else 0.0, total


def _sequence(folder: Path) -> list[str]:
    from hwnas.runs import RunStore

    with RunStore.open(folder) as store:
        return [c.architecture.string for c in store.candidates()]


def _llm_rows(database: Path) -> list[tuple[str, int, str]]:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            return [tuple(r) for r in connection.execute(
                "SELECT request_key, cached, status FROM llm_calls ORDER BY id")]
        finally:
            connection.close()
    except sqlite3.Error:  # no llm_calls table: a run without an LLM
        return []


def kill_one_run(config: dict[str, Any], folder: Path, rng: random.Random) -> dict[str, Any]:
    """Unbroken run, then the same run killed at a random moment and resumed."""
    shutil.rmtree(folder, ignore_errors=True)
    reference, created_s, total_s = _timed_run(_search_args(config, folder / "unbroken"),
                                               folder / "unbroken")
    unbroken_db = _run_database(folder / "unbroken")
    assert unbroken_db is not None
    unbroken = _sequence(unbroken_db.parent)
    attempts = 0
    # the kill comes after `target` stored candidates (table runs) or logged LLM calls (LLM
    # runs, so that the resumed run has calls to replay), then after a random delay
    sent_unbroken = [k for k, cached, _ in _llm_rows(unbroken_db) if not cached]
    if config["llm"]:
        target = rng.randint(1, max(1, len(sent_unbroken) - 1))
        counted = "SELECT COUNT(*) FROM llm_calls"
        delay_s = rng.uniform(0.0, 12.0)
    else:
        target = rng.randint(0, config["budget"] - 1)
        counted = "SELECT COUNT(*) FROM candidates"
        delay_s = rng.uniform(0.0, 0.05)
    while True:
        attempts += 1
        root = folder / f"killed{attempts}"
        process = subprocess.Popen([sys.executable, "-m", "hwnas",
                                    *_search_args(config, root)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=_env(), cwd=ROOT)
        while process.poll() is None and (
                (database := _run_database(root)) is None
                or _count(database, counted) < target):
            time.sleep(0.005)
        kill_at = time.monotonic() + delay_s
        while process.poll() is None and time.monotonic() < kill_at:
            time.sleep(0.005)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            break
        if attempts >= 4:
            return {**config, "error": "every attempt finished before the kill"}
        target, delay_s = target // 2, delay_s / 4  # too late: aim earlier
    database = _run_database(root)
    assert database is not None
    stored = _count(database, "SELECT COUNT(*) FROM candidates")
    llm_before = _llm_rows(database)
    resumed = _hwnas(["search", "--resume", database.parent.name, "--out", str(root),
                      "--format", "json"])
    if resumed.returncode != 0:
        return {**config, "error": f"resume failed: {resumed.stderr.strip()[-500:]}",
                "stored_at_kill": stored}
    summary = json.loads(resumed.stdout)
    after = _sequence(database.parent)
    from hwnas.runs import RunStore

    with RunStore.open(database.parent) as store:
        finished = [e["data"] for e in store.events() if e["kind"] == "finished"][-1]
        status = store.status
    summary["replayed"] = finished.get("replayed", 0)
    lost = sum((Counter(unbroken) - Counter(after)).values())
    repeated = max(0, stored - int(summary.get("replayed", 0))) + sum(
        (Counter(after) - Counter(unbroken)).values())
    rows = _llm_rows(database)
    sent = [k for k, cached, _ in rows if not cached]
    seen = {k for k, _, _ in rows}
    return {
        **config, "attempts": attempts, "kill_after_count": target,
        "kill_delay_s": round(delay_s, 3), "created_s": round(created_s, 1),
        "stored_at_kill": stored, "replayed": summary.get("replayed"),
        "evaluations": summary.get("evaluations"), "lost": lost, "repeated": repeated,
        "equal_to_unbroken": after == unbroken, "status": status,
        "same_front": summary.get("front") == reference.get("front"),
        "llm_calls_unbroken": len(sent_unbroken), "llm_calls_logged_at_kill": len(
            [r for r in llm_before if not r[1]]),
        "llm_calls_sent": len(sent), "llm_calls_replayed": sum(1 for r in rows if r[1]),
        "llm_lost": len(set(sent_unbroken) - seen),
        "llm_repeated": len(sent) - len(set(sent)),
        "seconds_unbroken": round(total_s, 1),
    }


def kill_runs(work: Path, quick: bool, llm_runs: int, seed: int) -> dict[str, Any]:
    results = _load_jsonl(work / "kill_runs.jsonl")
    configs = run_configs(quick, llm_runs)
    for index, config in enumerate(configs):
        if str(index) in results:
            continue
        started = time.monotonic()
        result = kill_one_run(config, work / "runs" / f"run{index:02d}",
                              random.Random(seed * 1000 + index))
        result["seconds"] = round(time.monotonic() - started, 1)
        _append_jsonl(work / "kill_runs.jsonl", str(index), result)
        results[str(index)] = result
        print(f"kill_runs {index + 1}/{len(configs)}: {json.dumps(result)}", flush=True)
        shutil.rmtree(work / "runs" / f"run{index:02d}", ignore_errors=True)
    done = [results[str(i)] for i in range(len(configs))]
    good = [r for r in done if "error" not in r]
    llm = [r for r in good if r["llm"]]
    return {
        "runs": len(done), "errors": len(done) - len(good),
        "strategies": dict(Counter(r["strategy"] + ("+llm" if r["llm"] else "") for r in done)),
        "lost": sum(r["lost"] for r in good), "repeated": sum(r["repeated"] for r in good),
        "all_equal_to_unbroken": all(r["equal_to_unbroken"] for r in good) and bool(good),
        "llm_runs": len(llm), "llm_calls_unbroken": sum(r["llm_calls_unbroken"] for r in llm),
        "llm_lost": sum(r["llm_lost"] for r in llm),
        "llm_repeated": sum(r["llm_repeated"] for r in llm),
        "llm_calls_logged_before_kill": sum(r["llm_calls_logged_at_kill"] for r in llm),
        "llm_calls_replayed": sum(r["llm_calls_replayed"] for r in llm),
        "stored_at_kill": [r.get("stored_at_kill") for r in done],
        "budgets": sorted({r["budget"] for r in done}),
        "error_examples": [r["error"] for r in done if "error" in r][:3],
    }


# --- kill_profiles -------------------------------------------------------------------------
def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def kill_one_profile(index: int, folder: Path, rng: random.Random, sample: int) -> dict[str, Any]:
    from hwnas.benchmarks import read_measurement_table
    from hwnas.profilers import KEY_COLUMNS
    from hwnas.spaces import create_space

    seed = 500 + index
    target = rng.randint(0, sample - 1)  # rows written before the kill
    delay_s = rng.uniform(0.0, 1.0)  # then a random instant, mostly inside a measurement
    attempts = 0
    while True:
        attempts += 1
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        out = folder / "m.csv"
        command = ["profile", "--device", "host-cpu", "--space", "nb201", "--sample",
                   str(sample), "--seed", str(seed), "--out", str(out), *PROFILE_FAST]
        process = subprocess.Popen([sys.executable, "-m", "hwnas", *command],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=_env(), cwd=ROOT)
        while process.poll() is None and len(_rows(out)) < target:
            time.sleep(0.01)
        deadline = time.monotonic() + delay_s
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if killed or attempts >= 4:
            break
        target, delay_s = target // 2, delay_s / 4  # finished first: aim earlier
    before = _rows(out)
    done = _hwnas([*command, "--format", "json"])
    if done.returncode != 0:
        return {"index": index, "error": done.stderr.strip()[-500:]}
    after = _rows(out)
    keys = [tuple(r[c] for c in KEY_COLUMNS) for r in after]
    pool = list(create_space("nb201").unique())  # how `hwnas profile --sample` draws
    expected = {a.arch_id for a in random.Random(seed).sample(pool, sample)}
    try:
        table = read_measurement_table(out)
        damage = [p for p in table.validation.problems
                  if any(w in p for w in ("dropped", "torn", "repeated", "non-numeric"))]
        parses = len(table) == len(expected) and not damage \
            and "latency_p50_ms" not in table.validation.invalid_values
    except Exception:  # noqa: BLE001  (any failure to read the file back counts)
        parses = False
    return {"index": index, "killed": killed, "attempts": attempts, "rows_at_kill": len(before),
            "rows": len(after), "lost": len(expected - {r["arch_id"] for r in after}),
            "duplicated": len(keys) - len(set(keys)),
            "kept_as_written": after[: len(before)] == before,
            "ends_with_newline": out.read_bytes().endswith(b"\n"), "parses": parses}


def kill_profiles(work: Path, quick: bool, seed: int) -> dict[str, Any]:
    results = _load_jsonl(work / "kill_profiles.jsonl")
    count, sample = (2, 4) if quick else (10, 6)
    for index in range(count):
        if str(index) in results:
            continue
        result = kill_one_profile(index, work / "profiles" / f"p{index:02d}",
                                  random.Random(seed * 7 + index), sample)
        _append_jsonl(work / "kill_profiles.jsonl", str(index), result)
        results[str(index)] = result
        print(f"kill_profiles {index + 1}/{count}: {json.dumps(result)}", flush=True)
    done = [results[str(i)] for i in range(count)]
    good = [r for r in done if "error" not in r]
    return {"runs": count, "errors": count - len(good), "killed": sum(r["killed"] for r in good),
            "rows_per_run": sample, "rows_at_kill": [r["rows_at_kill"] for r in good],
            "lost": sum(r["lost"] for r in good), "duplicated": sum(r["duplicated"] for r in good),
            "all_kept_as_written": all(r["kept_as_written"] for r in good),
            "all_parse": all(r["parses"] and r["ends_with_newline"] for r in good)}


# --- bookkeeping -----------------------------------------------------------------------------
def _load_jsonl(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            out[record["key"]] = record["value"]
    return out


def _append_jsonl(path: Path, key: str, value: Any) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"key": key, "value": value}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _section(work: Path, name: str, compute: Any) -> Any:
    stored = _load_jsonl(work / "sections.jsonl")
    if name in stored:
        return stored[name]
    started = time.monotonic()
    value = compute()
    value["seconds"] = round(time.monotonic() - started, 1)
    _append_jsonl(work / "sections.jsonl", name, value)
    print(f"{name}: {json.dumps(value)}", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/hwnas-reliability",
                        help="results and scratch folders (kept between runs)")
    parser.add_argument("--quick", action="store_true", help="small counts, no LLM runs")
    parser.add_argument("--llm-runs", type=int, default=None,
                        help="coevo runs with --llm local among the kill runs (default 2; "
                        "0 with --quick)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--sections", default="kill_runs,kill_profiles,fuzz_archs,"
                        "fuzz_replies,fuzz_tables,faults")
    parser.add_argument("--fresh", action="store_true", help="forget stored results")
    args = parser.parse_args()

    import reliability_faults as faults
    import reliability_fuzz as fuzz

    from hwnas.benchmarks._data import find_data_dir

    work = Path(args.work) / ("quick" if args.quick else "full")
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    llm_runs = args.llm_runs if args.llm_runs is not None else (0 if args.quick else 2)
    wanted = args.sections.split(",")
    started = time.monotonic()
    figures: dict[str, Any] = {}
    counts = {"archs": 200 if args.quick else 1000, "replies": 200 if args.quick else 1000,
              "tables": 50 if args.quick else 200, "cli": 5 if args.quick else 20}

    def endpoint_replies() -> dict[str, Any]:
        from standin_endpoint import MisbehavingEndpoint

        endpoint = MisbehavingEndpoint().start()
        try:
            return fuzz.fuzz_replies(counts["replies"], args.seed, endpoint)
        finally:
            endpoint.stop()

    def all_faults() -> dict[str, Any]:
        out = {"tvm_rpc_server_killed": faults.tvm_server_killed(args.seed),
               "ssh_link_dropped": faults.ssh_link_dropped(work),
               "llm_endpoint_hangs": faults.llm_endpoint_hangs(work, args.seed)}
        out["all_failed_only_their_own"] = all(
            v.get("failed_only_its_own") for v in out.values() if "skipped" not in v)
        return out

    sections = {
        "kill_runs": lambda: kill_runs(work, args.quick, llm_runs, args.seed),
        "kill_profiles": lambda: kill_profiles(work, args.quick, args.seed),
        "fuzz_archs": lambda: fuzz.fuzz_architectures(counts["archs"], counts["cli"], args.seed),
        "fuzz_replies": endpoint_replies,
        "fuzz_tables": lambda: fuzz.fuzz_tables(counts["tables"], counts["cli"], args.seed,
                                                work / "tables", find_data_dir(required=False)),
        "faults": all_faults,
    }
    for name in wanted:
        figures[name] = _section(work, name, sections[name])
    figures["quick"] = args.quick
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
