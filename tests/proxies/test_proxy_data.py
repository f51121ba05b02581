"""Data sources: the digits default, CIFAR python layouts, image folders, and bad folders."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from hwnas.core import DataError
from hwnas.proxies import CifarData, ImageFolderData, create_proxy, default_data, open_data_dir


def test_digits_default_is_real_images_at_32x32() -> None:
    data = default_data()
    images, labels = data.batch(16, seed=0)
    assert images.shape == (16, 3, 32, 32) and images.dtype == torch.float32
    assert torch.equal(images[:, 0], images[:, 2])  # grayscale replicated
    assert 0 <= int(labels.min()) and int(labels.max()) < 10
    again, _ = data.batch(16, seed=0)
    other, _ = data.batch(16, seed=1)
    assert torch.equal(images, again) and not torch.equal(images, other)
    assert "load_digits" in data.description


def _write_cifar(root: Path, variant: str, count: int = 40) -> Path:
    rng = np.random.default_rng(0)
    folder = root / ("cifar-10-batches-py" if variant == "cifar10" else "cifar-100-python")
    folder.mkdir(parents=True)
    data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
    if variant == "cifar10":
        batch = {"batch_label": "training batch 1 of 5", "labels": list(rng.integers(0, 10, count)),
                 "data": data, "filenames": [f"{i}.png" for i in range(count)]}
        (folder / "data_batch_1").write_bytes(pickle.dumps(batch))
        (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": ["x"] * 10}))
    else:
        batch = {"fine_labels": list(rng.integers(0, 100, count)),
                 "coarse_labels": [0] * count, "data": data}
        (folder / "train").write_bytes(pickle.dumps(batch))
        (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": ["x"] * 100}))
    return folder


@pytest.mark.parametrize("variant,classes", [("cifar10", 10), ("cifar100", 100)])
def test_cifar_python_layout(tmp_path: Path, variant: str, classes: int) -> None:
    folder = _write_cifar(tmp_path, variant)
    for named in (tmp_path, folder):  # the parent (torchvision root) or the batches folder
        data = open_data_dir(named)
        assert isinstance(data, CifarData) and data.num_classes == classes
        images, labels = data.batch(8, seed=0)
        assert images.shape == (8, 3, 32, 32)
        assert "user-named" in data.description
    result = create_proxy("naswot", batch_size=8).score(
        "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
        data=tmp_path, space="nb201")
    assert result.data.startswith(variant)


def test_cifar_pickle_with_code_is_refused(tmp_path: Path) -> None:
    folder = _write_cifar(tmp_path, "cifar10")

    class Payload:
        def __reduce__(self):  # noqa: ANN204
            return (print, ("this must never run",))

    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": Payload(), "labels": []}))
    with pytest.raises(DataError, match="refusing to unpickle builtins.print"):
        open_data_dir(tmp_path).batch(4, seed=0)


def test_image_folder(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("cat", "dog", "eel"):
        (tmp_path / name).mkdir()
        for index in range(4):
            pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
            suffix = ".png" if index % 2 else ".jpg"
            Image.fromarray(pixels).save(tmp_path / name / f"{index}{suffix}")
    data = open_data_dir(tmp_path)
    assert isinstance(data, ImageFolderData) and data.num_classes == 3
    images, labels = data.batch(6, seed=1)
    assert images.shape == (6, 3, 32, 32) and set(labels.tolist()) <= {0, 1, 2}
    with pytest.raises(DataError, match="lower the proxy batch size"):
        data.batch(13, seed=0)


def test_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        open_data_dir(tmp_path / "nope")
    message = str(caught.value)
    assert "does not exist" in message and "nothing is downloaded" in message
    assert "\n" not in message


def test_wrong_layout_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not images")
    with pytest.raises(DataError, match="neither a CIFAR python layout") as caught:
        open_data_dir(tmp_path)
    assert "\n" not in str(caught.value)
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataError, match="lacks the cifar10 python batches"):
        open_data_dir(tmp_path)
