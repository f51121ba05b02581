"""A training killed with SIGKILL resumes from its last checkpoint and ends bit-identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from train_helpers import BEST_CIFAR10, cli_json

from hwnas.core import Architecture
from hwnas.train import (
    CHECKPOINT,
    RESULT,
    WEIGHTS,
    CheckpointError,
    EpochLog,
    load_checkpoint,
    load_recipe,
    train_architecture,
)

SETTINGS = ("--epochs", "3", "--set", "input_size=8", "--set", "train_subset=256",
            "--set", "batch_size=32", "--threads", "1", "--seed", "7")


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hwnas", "train", BEST_CIFAR10, "--out",
                             str(out), *SETTINGS], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ})


def test_sigkill_then_resume_matches_an_unbroken_run(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    process = _start(out)
    deadline = time.monotonic() + 300
    while not (out / CHECKPOINT).exists():
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (out / RESULT).exists() and not (out / WEIGHTS).exists()
    killed_at = load_checkpoint(out / CHECKPOINT).epoch
    assert 1 <= killed_at < 3

    resumed = cli_json("train", BEST_CIFAR10, "--out", str(out), *SETTINGS)
    assert resumed["resumed_from_epoch"] == killed_at and resumed["epochs"] == 3
    with EpochLog(out / "train.sqlite") as log:
        assert [r.epoch for r in log.records()] == [1, 2, 3]

    recipe = load_recipe(epochs=3, input_size=8, train_subset=256, batch_size=32)
    unbroken = train_architecture(Architecture("nb201", BEST_CIFAR10), tmp_path / "unbroken",
                                  recipe=recipe, seed=7, threads=1)
    assert unbroken.resumed_from_epoch == 0
    first, second = load_file(resumed["weights"]), load_file(unbroken.weights)
    assert first.keys() == second.keys() and len(first) > 50
    max_delta = max(float((first[k].double() - second[k].double()).abs().max()) for k in first)
    assert max_delta == 0.0
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert resumed["val_acc"] == unbroken.val_acc and resumed["test_acc"] == unbroken.test_acc


def test_damaged_checkpoint_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / CHECKPOINT
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": ")
    with pytest.raises(CheckpointError, match="unreadable.*delete it to start over"):
        load_checkpoint(path)
