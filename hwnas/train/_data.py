"""Training data: the proxies' image sources, split once into train / validation / test.

The loaders are `hwnas.proxies`' (scikit-learn's digits, a CIFAR-10/100 python-batch
folder read through the arrays-only unpickler, an image-folder tree), each read only
from a path the user names. The split is stratified per class and fixed by
`split_seed`; CIFAR's own test batch is the test split when the folder has it. Images
are normalised per channel with the training split's mean and standard deviation, and
the test split is evaluated only once, for the final figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import ConfigError, DataError

if TYPE_CHECKING:
    import numpy as np
    import torch

DIGITS_NAMES = ("digits", "sklearn-digits")
DIGITS_INPUT_SIZE = 16  # 8x8 digits upsampled 2x: NAS-Bench-201 stages at 16, 8 and 4 pixels
_CIFAR_TRAIN = {"cifar10": [f"data_batch_{i}" for i in range(1, 6)], "cifar100": ["train"]}
_CIFAR_TEST = {"cifar10": "test_batch", "cifar100": "test"}


@dataclass(frozen=True)
class TrainingData:
    """Three splits as tensors: train images in [0, 1] (augmented, then normalised, per
    batch), validation and test images already normalised."""

    name: str  # what the cache keys on: "digits" or the resolved folder
    description: str
    num_classes: int
    input_size: int
    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    mean: tuple[float, ...]
    std: tuple[float, ...]
    flip_default: bool
    split: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (int(self.train_images.shape[1]), self.input_size, self.input_size)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        import torch

        mean = torch.tensor(self.mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        return (images - mean) / std

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "num_classes": self.num_classes, "input_shape": list(self.input_shape),
                "mean": list(self.mean), "std": list(self.std), "split": dict(self.split)}


def data_name(data: str | Path | None) -> str:
    """The stable name of a data argument: `digits`, or the resolved folder path."""
    if data is None or (isinstance(data, str) and data in DIGITS_NAMES):
        return "digits"
    folder = Path(data).expanduser()
    if not folder.exists():
        raise DataError(
            f"data {str(data)!r} is neither `digits` nor an existing folder; pass digits, a "
            "CIFAR-10/100 python-batch folder or an image folder (one subfolder per class)"
        )
    return str(folder.resolve())


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    import torch

    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    tensor = torch.from_numpy(images)
    return torch.nn.functional.interpolate(
        tensor, size=(size, size), mode="bilinear", align_corners=False).numpy()


def _load_arrays(name: str, size: int | None) -> tuple[Any, ...]:
    """(images, labels, test images or None, test labels or None, classes, size, description,
    flip default) for a data name."""
    import numpy as np

    from hwnas.proxies import (
        CifarData,
        ImageFolderData,
        digits_arrays,
        open_data_dir,
        read_cifar_batch,
        read_image,
    )

    if name == "digits":
        side = size or DIGITS_INPUT_SIZE
        images, labels = digits_arrays((side, side))
        return (images, labels, None, None, 10, side,
                f"scikit-learn digits (1,797 real 8x8 images) at {side}x{side}", False)
    source = open_data_dir(name)
    side = size or 32
    if isinstance(source, CifarData):
        parts = [source.folder / f for f in _CIFAR_TRAIN[source.variant]
                 if (source.folder / f).is_file()]
        read = [read_cifar_batch(p, source.variant) for p in parts]
        images = np.concatenate([r[0] for r in read]).astype(np.float32) / 255.0
        labels = np.concatenate([r[1] for r in read])
        test_file = source.folder / _CIFAR_TEST[source.variant]
        test_images = test_labels = None
        if test_file.is_file():
            raw, test_labels = read_cifar_batch(test_file, source.variant)
            test_images = _resize(raw.astype(np.float32) / 255.0, side)
        description = (f"{source.variant} from {source.folder}: {len(parts)} training batch "
                       f"file(s){', official test batch' if test_file.is_file() else ''}")
        return (_resize(images, side), labels, test_images, test_labels, source.num_classes,
                side, description, True)
    if isinstance(source, ImageFolderData):
        images = np.stack([read_image(path, (side, side)) for path, _ in source.files])
        labels = np.asarray([label for _, label in source.files], dtype=np.int64)
        return (images, labels, None, None, source.num_classes, side,
                f"{len(labels)} images in {source.num_classes} class folders under "
                f"{source.folder} at {side}x{side}", True)
    raise DataError(f"{name}: unsupported data source {type(source).__name__}")


def _stratified(labels: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Index sets per fraction (and the rest last), the same share of every class."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        start = 0
        for index, fraction in enumerate(fractions):
            count = int(round(fraction * len(members)))
            parts[index].extend(members[start:start + count].tolist())
            start += count
        parts[-1].extend(members[start:].tolist())
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]


def load_training_data(data: str | Path | None, recipe: Any) -> TrainingData:
    """The splits of `data` (None or 'digits': scikit-learn's digits) for a recipe."""
    import numpy as np
    import torch

    name = data_name(data)
    images, labels, test_images, test_labels, classes, side, description, flip = \
        _load_arrays(name, recipe.input_size)
    if test_images is None:
        test, val, train = _stratified(labels, (recipe.test_fraction, recipe.val_fraction),
                                       recipe.split_seed)
        test_images, test_labels = images[test], labels[test]
        test_from = f"{recipe.test_fraction:g} of the images"
    else:
        val, train = _stratified(labels, (recipe.val_fraction,), recipe.split_seed)
        test_from = "the data's own test set"
    if recipe.train_subset is not None:
        train = train[:recipe.train_subset]
    if min(len(train), len(val), len(test_labels)) < 1:
        raise DataError(
            f"{name} has too few images ({len(labels)}) for a train/validation/test split; "
            "add images or raise val_fraction / test_fraction"
        )
    if int(labels.max()) >= classes or int(labels.min()) < 0:
        raise DataError(f"{name}: labels outside 0..{classes - 1}")
    train_images = np.ascontiguousarray(images[train], dtype=np.float32)
    mean = train_images.mean(axis=(0, 2, 3))
    std = train_images.std(axis=(0, 2, 3)) + 1e-6
    split = {"seed": recipe.split_seed, "train": len(train), "val": len(val),
             "test": len(test_labels), "test_from": test_from, "stratified": True}

    def normalised(array: np.ndarray) -> torch.Tensor:
        array = (np.asarray(array, dtype=np.float32) - mean[None, :, None, None]) \
            / std[None, :, None, None]
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))

    def as_labels(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(array, dtype=np.int64))

    return TrainingData(
        name=name, description=description, num_classes=int(classes), input_size=int(side),
        train_images=torch.from_numpy(train_images), train_labels=as_labels(labels[train]),
        val_images=normalised(images[val]), val_labels=as_labels(labels[val]),
        test_images=normalised(test_images), test_labels=as_labels(test_labels),
        mean=tuple(float(m) for m in mean), std=tuple(float(s) for s in std),
        flip_default=flip, split=split,
    )


def augment(images: torch.Tensor, padding: int, flip: bool,
            generator: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding (black borders) and random horizontal flip, drawn
    from `generator` (seeded, checkpointed), on a CPU batch in [0, 1]."""
    import torch

    count, _, height, width = images.shape
    if padding > 0:
        padded = torch.nn.functional.pad(images, (padding, padding, padding, padding))
        offsets = torch.randint(0, 2 * padding + 1, (count, 2), generator=generator).tolist()
        images = torch.stack([padded[i, :, y:y + height, x:x + width]
                              for i, (y, x) in enumerate(offsets)])
    if flip:
        mirrored = torch.rand(count, generator=generator) < 0.5
        images = torch.where(mirrored.view(-1, 1, 1, 1), images.flip(3), images)
    return images


def check_recipe_fits(recipe: Any, data: TrainingData) -> None:
    """The recipe's batch must fit the training split."""
    if recipe.batch_size > len(data.train_labels):
        raise ConfigError(
            f"batch_size {recipe.batch_size} exceeds the {len(data.train_labels)} training "
            f"images of {data.name}; lower --batch-size"
        )
