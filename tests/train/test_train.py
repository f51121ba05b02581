"""Training end to end at tiny sizes: figures, files, determinism, errors, the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from train_helpers import CHEAP, TINY, cli_json, hwnas

from hwnas.core import Architecture, ConfigError
from hwnas.train import (
    CHECKPOINT,
    LOG,
    RESULT,
    Recipe,
    build_network,
    load_checkpoint,
    resolve_device,
    train_architecture,
)

ARCH = Architecture("nb201", CHEAP)


def _tiny(epochs: int = 2, **changes: object) -> Recipe:
    return Recipe(epochs=epochs, **TINY).replace(**changes)


def test_training_writes_figures_weights_log_and_checkpoint(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = train_architecture(ARCH, tmp_path, recipe=_tiny(), threads=1,
                                progress=lambda done, total, _: seen.append((done, total)))
    assert result.epochs == 2 and 0 <= result.val_acc <= 100 and 0 <= result.test_acc <= 100
    assert result.input_shape == (3, 8, 8) and result.num_classes == 10
    assert result.layout == "pruned" and result.threads == 1 and not result.cached
    assert result.recipe["crop_padding"] == 1 and result.recipe["flip"] is False
    assert result.recipe["input_size"] == 8
    assert seen[-1] == (4, 4) and seen[0][1] == 4  # 64 images / 32 per step, 2 epochs
    rows = sqlite3.connect(tmp_path / LOG).execute(
        "SELECT epoch, val_acc, learning_rate FROM epochs ORDER BY epoch").fetchall()
    assert [r[0] for r in rows] == [1, 2] and rows[-1][1] == pytest.approx(result.val_acc)
    assert rows[0][2] > rows[1][2]  # cosine decay
    # weights: a plain safetensors state-dict of the pruned network, loadable as is
    model, layout = build_network(ARCH, result.input_shape, result.num_classes)
    model.load_state_dict(load_file(result.weights), strict=True)
    with safe_open(result.weights, framework="pt") as handle:
        assert handle.metadata()["arch"] == CHEAP
    checkpoint = load_checkpoint(tmp_path / CHECKPOINT)
    assert checkpoint.epoch == 2 and set(checkpoint.rng) == {"torch", "generator"}
    assert checkpoint.state["threads"] == 1 and checkpoint.optimizer["state"]
    assert json.loads((tmp_path / RESULT).read_text())["result"]["test_acc"] == result.test_acc
    assert "epochs = 2" in (tmp_path / "recipe.toml").read_text()


def test_learning_happens(tmp_path: Path) -> None:
    result = train_architecture(ARCH, tmp_path, recipe=Recipe(
        epochs=4, input_size=8, train_subset=400, batch_size=50), threads=1)
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert result.val_acc > 30  # chance is 10%


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    first = train_architecture(ARCH, tmp_path / "a", recipe=_tiny(), seed=3, threads=1)
    second = train_architecture(ARCH, tmp_path / "b", recipe=_tiny(), seed=3, threads=1)
    third = train_architecture(ARCH, tmp_path / "c", recipe=_tiny(), seed=4, threads=1)
    a, b, c = (load_file(r.weights) for r in (first, second, third))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    # the global state around the call is left as it was
    assert torch.get_num_threads() >= 1 and not torch.are_deterministic_algorithms_enabled()


def test_finished_folder_returns_the_stored_result(tmp_path: Path) -> None:
    first = train_architecture(ARCH, tmp_path, recipe=_tiny(epochs=1), threads=1)
    again = train_architecture(ARCH, tmp_path, recipe=_tiny(epochs=1), threads=1)
    assert again.cached and again.test_acc == first.test_acc and again.arch == ARCH
    with pytest.raises(ConfigError, match="holds a finished training of something else"):
        train_architecture(ARCH, tmp_path, recipe=_tiny(epochs=2), threads=1)


def test_checkpoint_of_other_training_is_refused(tmp_path: Path) -> None:
    train_architecture(ARCH, tmp_path, recipe=_tiny(epochs=1), threads=1)
    (tmp_path / RESULT).unlink()
    with pytest.raises(ConfigError, match="holds a checkpoint of other training"):
        train_architecture(ARCH, tmp_path, recipe=_tiny(epochs=1), seed=9, threads=1)


def test_batch_larger_than_the_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lower --batch-size"):
        train_architecture(ARCH, tmp_path, recipe=_tiny(batch_size=100))


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sees no CUDA GPU"):
        resolve_device("cuda")
    done = hwnas("train", CHEAP, "--out", str(tmp_path), "--device", "cuda", "--epochs", "1")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "sees no CUDA GPU" in lines[0] and "--device cpu" in lines[0]
    assert not (tmp_path / CHECKPOINT).exists()


def test_bad_device_and_bad_set_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use cpu or cuda"):
        resolve_device("tpu")
    done = hwnas("train", CHEAP, "--out", str(tmp_path), "--set", "epoch=3")
    assert done.returncode == 2 and "unknown recipe key 'epoch'" in done.stderr


def test_cli_prints_the_issue_keys(tmp_path: Path, tiny_recipe_file: Path) -> None:
    data = cli_json("train", CHEAP, "--data", "digits", "--epochs", "1", "--recipe",
                    str(tiny_recipe_file), "--out", str(tmp_path / "t"), "--threads", "1")
    for key in ("arch", "epochs", "val_acc", "test_acc", "seconds", "weights"):
        assert key in data
    assert data["arch"] == CHEAP and data["epochs"] == 1 and Path(data["weights"]).is_file()
    assert data["input_shape"] == [3, 8, 8] and data["recipe"]["batch_size"] == 32
    text = hwnas("train", CHEAP, "--epochs", "1", "--recipe", str(tiny_recipe_file),
                 "--out", str(tmp_path / "t"), "--threads", "1")
    assert text.returncode == 0 and "already trained" in text.stdout
