"""Helpers for the export tests: the real CLI, and finished runs built from the tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hwnas.core import Architecture, Candidate, ObjectiveValue
from hwnas.runs import RunStore

TWO_OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"
THREE_OBJECTIVES = "error:min=table:cifar100,latency=table:pi5-onnx,energy=table:pi5-onnx-energy"


def hwnas(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "hwnas", *args], capture_output=True, text=True, timeout=600,
        cwd=cwd, env={**os.environ},
    )


def cli_json(*args: str, cwd: Path | None = None) -> dict:
    result = hwnas(*args, "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _tables(data_dir: Path):  # noqa: ARG001  (the fixture makes the data required)
    from hwnas.benchmarks import resolve_table_metric

    return {
        "accuracy": resolve_table_metric("cifar100"),
        "latency": resolve_table_metric("pi5-onnx"),
        "energy": resolve_table_metric("pi5-onnx-energy"),
    }


def build_table_run(
    root: Path, data_dir: Path, three: bool, count: int = 60, seed: int = 5,
) -> RunStore:
    """A finished run: `count` sampled cells with table objectives, plus a failed one."""
    from hwnas.spaces import create_space

    tables = _tables(data_dir)
    space = create_space("nb201")
    config = {"search": {"space": "nb201", "device": "raspberry-pi-5",
                         "objectives": THREE_OBJECTIVES if three else TWO_OBJECTIVES,
                         "strategy": "random", "budget": count}}
    store = RunStore.create(root, config, "random", seed)
    for arch in space.sample(count, seed=seed):
        table, metric = tables["accuracy"]
        accuracy = table.value(arch, metric)
        values = {}
        if three:
            values["error"] = ObjectiveValue("error", 100.0 - accuracy, "percent", "table", True)
            for name in ("latency", "energy"):
                table, metric = tables[name]
                values[name] = ObjectiveValue(name, table.value(arch, metric),
                                              table.units[metric], "table", True)
        else:
            values["accuracy"] = ObjectiveValue("accuracy", accuracy, "percent", "table", False)
            table, metric = tables["latency"]
            values["latency"] = ObjectiveValue("latency", table.value(arch, metric), "ms",
                                               "table", True)
        store.add_candidate(Candidate(arch, values, band=0), {"status": "ok"})
    # A failed evaluation and one with a missing objective: neither may be picked.
    failed = Architecture("nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                                   "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    store.add_candidate(Candidate(failed, {}, 0), {"status": "failed", "error": "table miss"})
    partial = Architecture("nb201", "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    if not store.has_candidate(partial):
        store.add_candidate(Candidate(partial, {"latency": ObjectiveValue(
            "latency", 0.001, "ms", "table", True)}, 0), {"status": "ok"})
    store.set_status("finished")
    return store
