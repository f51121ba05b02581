"""Helpers for the training tests: tiny settings and the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# No convolution inside the cells: only the stem, the two reductions and the classifier.
CHEAP = "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
BEST_CIFAR10 = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
                "nor_conv_3x3~1|nor_conv_1x1~2|")
TINY = {"input_size": 8, "train_subset": 64, "batch_size": 32}
TINY_TOML = "input_size = 8\ntrain_subset = 64\nbatch_size = 32\n"


def hwnas(*args: str, env: dict[str, str] | None = None,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (PYTHONPATH and the rest of the environment inherited)."""
    return subprocess.run([sys.executable, "-m", "hwnas", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def cli_json(*args: str, env: dict[str, str] | None = None) -> dict:
    done = hwnas(*args, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
