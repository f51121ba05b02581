"""Run the real `hwnas` entry point in a subprocess (shared by the search tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m hwnas ARGS` with the benchmark data folder in HWNAS_DATA when it is known."""
    from hwnas.benchmarks._data import find_data_dir

    env = dict(os.environ)
    found = find_data_dir(required=False)
    if found is not None:
        env["HWNAS_DATA"] = str(found)
    return subprocess.run([sys.executable, "-m", "hwnas", *args], capture_output=True, text=True,
                          cwd=cwd or PROJECT_ROOT, env=env, timeout=timeout)
