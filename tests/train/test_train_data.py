"""Training data: fixed stratified splits over the proxies' loaders, and augmentation."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from hwnas.core import DataError
from hwnas.train import Recipe, augment, load_training_data


def test_digits_split_is_fixed_stratified_and_disjoint() -> None:
    data = load_training_data("digits", Recipe())
    assert data.input_shape == (3, 16, 16) and data.num_classes == 10
    split = data.split
    assert split["train"] + split["val"] + split["test"] == 1797
    assert split["test"] == pytest.approx(0.2 * 1797, abs=10)
    assert split["val"] == pytest.approx(0.1 * 1797, abs=10)
    for labels in (data.train_labels, data.val_labels, data.test_labels):
        counts = torch.bincount(labels, minlength=10).float()
        assert counts.min() / counts.sum() > 0.08  # every class in every split
    again = load_training_data(None, Recipe())
    assert torch.equal(again.test_images, data.test_images)
    other = load_training_data("digits", Recipe(split_seed=1))
    assert not torch.equal(other.test_images, data.test_images)
    # no image is in two splits (digits has a few exact duplicates; compare by content)
    flat = lambda t: {tuple(r) for r in t.reshape(len(t), -1).round(decimals=4).tolist()}  # noqa: E731
    test_set = flat(data.test_images)
    val_set = flat(data.val_images)
    train_set = flat(data.normalise(data.train_images))
    assert len(test_set & train_set) <= 3 and len(val_set & train_set) <= 3
    # normalised with the training split's statistics
    assert float(data.normalise(data.train_images).mean()) == pytest.approx(0.0, abs=1e-4)
    assert not data.flip_default


def test_input_size_and_subset() -> None:
    data = load_training_data("digits", Recipe(input_size=8, train_subset=50))
    assert data.input_shape == (3, 8, 8) and len(data.train_labels) == 50


def _cifar(root: Path, with_test: bool) -> Path:
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, count in (("data_batch_1", 60), ("data_batch_2", 40)):
        batch = {"labels": [int(i % 10) for i in range(count)],
                 "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8)}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": ["x"] * 10}))
    if with_test:
        batch = {"labels": [int(i % 10) for i in range(30)],
                 "data": rng.integers(0, 256, (30, 3072), dtype=np.uint8)}
        (folder / "test_batch").write_bytes(pickle.dumps(batch))
    return folder


def test_cifar_uses_every_batch_and_its_own_test_set(tmp_path: Path) -> None:
    _cifar(tmp_path, with_test=True)
    data = load_training_data(tmp_path, Recipe())
    assert data.input_shape == (3, 32, 32) and data.flip_default
    assert data.split["test"] == 30 and data.split["test_from"] == "the data's own test set"
    assert data.split["train"] + data.split["val"] == 100
    assert data.name == str(tmp_path.resolve())


def test_cifar_without_test_batch_splits_one_off(tmp_path: Path) -> None:
    _cifar(tmp_path, with_test=False)
    data = load_training_data(tmp_path / "cifar-10-batches-py", Recipe(input_size=16))
    assert data.input_shape == (3, 16, 16)
    assert data.split["train"] + data.split["val"] + data.split["test"] == 100


def test_image_folder(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(10):
            pixels = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    data = load_training_data(tmp_path, Recipe(input_size=8))
    assert data.num_classes == 2 and data.input_shape == (3, 8, 8)
    assert data.split == {"seed": 0, "train": 14, "val": 2, "test": 4,
                          "test_from": "0.2 of the images", "stratified": True}


def test_unknown_data_is_one_line() -> None:
    with pytest.raises(DataError, match="neither `digits` nor an existing folder"):
        load_training_data("/no/such/folder", Recipe())


def test_augmentation_is_seeded_and_shape_preserving() -> None:
    images = torch.rand(16, 3, 8, 8)
    first = augment(images, 1, True, torch.Generator().manual_seed(3))
    second = augment(images, 1, True, torch.Generator().manual_seed(3))
    other = augment(images, 1, True, torch.Generator().manual_seed(4))
    assert first.shape == images.shape and torch.equal(first, second)
    assert not torch.equal(first, other)
    assert torch.equal(augment(images, 0, False, torch.Generator()), images)
