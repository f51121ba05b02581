"""Where proxies get their images: a folder the user names, or scikit-learn's digits.

Nothing is downloaded. CIFAR's python batches are pickles; they are read only from a folder
the user named, through an unpickler that accepts nothing but plain containers and numpy
arrays.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import DataError

if TYPE_CHECKING:
    import numpy as np
    import torch

INPUT_SHAPE: tuple[int, int, int] = (3, 32, 32)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
CIFAR_FOLDERS = {"cifar-10-batches-py": "cifar10", "cifar-100-python": "cifar100"}


class DataSource(ABC):
    """Labelled images at 3x32x32, normalised per channel, drawn in seeded batches."""

    name: str = ""
    description: str = ""
    num_classes: int = 10
    input_shape: tuple[int, int, int] = INPUT_SHAPE

    @abstractmethod
    def _arrays(self, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """`batch_size` images (N, 3, 32, 32 float32 in [0, 1]) and their int labels."""

    def batch(self, batch_size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A normalised image batch and its labels; the same for the same seed."""
        import numpy as np
        import torch

        images, labels = self._arrays(int(batch_size), int(seed))
        images = np.asarray(images, dtype=np.float32)
        mean = images.mean(axis=(0, 2, 3), keepdims=True)
        std = images.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        return (
            torch.from_numpy((images - mean) / std).contiguous(),
            torch.from_numpy(np.asarray(labels, dtype=np.int64)),
        )

    def noise(self, batch_size: int, seed: int) -> torch.Tensor:
        """Standard Gaussian noise shaped like a batch (for data-free proxies)."""
        import torch

        generator = torch.Generator().manual_seed(int(seed))
        return torch.randn((int(batch_size), *self.input_shape), generator=generator)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "num_classes": self.num_classes, "input_shape": list(self.input_shape)}


def _pick(count: int, batch_size: int, seed: int) -> np.ndarray:
    import numpy as np

    if count < batch_size:
        raise DataError(
            f"the dataset has {count} images but a batch needs {batch_size}: add images or "
            "lower the proxy batch size"
        )
    return np.random.default_rng(seed).choice(count, size=batch_size, replace=False)


class DigitsData(DataSource):
    """scikit-learn's bundled handwritten digits (1,797 real 8x8 grayscale images, 10
    classes), upsampled bilinearly to 32x32 and repeated over 3 channels."""

    name = "sklearn-digits"
    description = ("scikit-learn load_digits: 1,797 real 8x8 grayscale digit images, "
                   "bilinearly resized to 32x32, replicated to 3 channels")
    num_classes = 10

    def __init__(self) -> None:
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cache is None:
            self._cache = digits_arrays(INPUT_SHAPE[1:])
        return self._cache

    def _arrays(self, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self._load()
        chosen = _pick(len(images), batch_size, seed)
        return images[chosen], labels[chosen]


def digits_arrays(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits as (N, 3, H, W) float32 in [0, 1] (bilinear from 8x8; an 8x8
    size keeps the original pixels) and their int64 labels."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    large = small if tuple(size) == (8, 8) else torch.nn.functional.interpolate(
        small, size=tuple(size), mode="bilinear", align_corners=False
    )
    return large.repeat(1, 3, 1, 1).numpy(), digits.target.astype(np.int64)


class _ArraysOnly(pickle.Unpickler):
    """Unpickles dicts, lists, strings, numbers and numpy arrays; refuses anything else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise DataError(
            f"refusing to unpickle {module}.{name}: a CIFAR batch holds only arrays and lists"
        )


def read_cifar_batch(path: Path, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """One torchvision python batch file: (N, 3, 32, 32) uint8 images and int64 labels.

    The file is a pickle: it is read only from a folder the user named, through an
    unpickler that accepts nothing but plain containers and numpy arrays."""
    import numpy as np

    try:
        with path.open("rb") as handle:
            batch = _ArraysOnly(handle, encoding="latin1").load()
        data = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        key = "labels" if variant == "cifar10" else "fine_labels"
        labels = np.asarray(batch[key], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, KeyError, ValueError, EOFError,
            TypeError) as error:
        raise DataError(
            f"{path} is not a readable {variant} python batch ({error}); point "
            "--data-dir at torchvision's extracted cifar-10-batches-py or "
            "cifar-100-python folder"
        ) from error
    if len(labels) != len(data):
        raise DataError(f"{path}: {len(data)} images but {len(labels)} labels")
    return data, labels


class CifarData(DataSource):
    """CIFAR-10/100 in torchvision's python layout, from a folder the user named.

    Reads the training batch (`data_batch_1` for CIFAR-10, `train` for CIFAR-100). These
    files are Python pickles: they are opened only because the user named the folder.
    """

    def __init__(self, folder: Path, variant: str) -> None:
        self.folder = folder
        self.variant = variant
        self.num_classes = 10 if variant == "cifar10" else 100
        self.name = f"{variant}:{folder}"
        self.description = (f"{variant} training images from the user-named folder {folder} "
                            "(torchvision python batches, read with an arrays-only unpickler)")
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cache is None:
            import numpy as np

            path = self.folder / ("data_batch_1" if self.variant == "cifar10" else "train")
            data, labels = read_cifar_batch(path, self.variant)
            self._cache = (data.astype(np.float32) / 255.0, labels)
        return self._cache

    def _arrays(self, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self._load()
        chosen = _pick(len(images), batch_size, seed)
        return images[chosen], labels[chosen]


class ImageFolderData(DataSource):
    """An image folder: one subfolder per class holding PNG/JPEG files, read with Pillow
    and resized to 32x32 RGB."""

    def __init__(self, folder: Path, classes: list[str], files: list[tuple[Path, int]]) -> None:
        self.folder = folder
        self.classes = classes
        self.files = files
        self.num_classes = len(classes)
        self.name = f"imagefolder:{folder}"
        self.description = (f"{len(files)} images in {len(classes)} class folders under {folder}, "
                            "resized to 32x32 RGB")

    def _arrays(self, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        chosen = _pick(len(self.files), batch_size, seed)
        images, labels = [], []
        for index in chosen:
            path, label = self.files[int(index)]
            images.append(read_image(path, INPUT_SHAPE[1:]))
            labels.append(label)
        return np.stack(images), np.asarray(labels)


def read_image(path: Path, size: tuple[int, int]) -> np.ndarray:
    """One PNG/JPEG file as (3, H, W) float32 RGB in [0, 1], resized bilinearly."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize(tuple(size)[::-1], Image.BILINEAR)
            return np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0
    except (OSError, UnidentifiedImageError) as error:
        raise DataError(f"cannot read image {path} ({error}); remove or replace it") from error


def _cifar_variant(folder: Path) -> str | None:
    if (folder / "data_batch_1").is_file() and (folder / "batches.meta").is_file():
        return "cifar10"
    if (folder / "train").is_file() and (folder / "meta").is_file():
        return "cifar100"
    return None


def open_data_dir(path: str | Path) -> DataSource:
    """The data source of a folder: torchvision CIFAR-10/100 python layout or image folder."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise DataError(
            f"data folder {folder} does not exist; pass an existing CIFAR-10/100 (torchvision "
            "python layout) or image folder (one subfolder of PNG/JPEG per class), or omit "
            "--data-dir to use scikit-learn's digits (nothing is downloaded)"
        )
    if not folder.is_dir():
        raise DataError(f"{folder} is a file; --data-dir needs a folder")
    for child, variant in CIFAR_FOLDERS.items():
        if (folder / child).is_dir():
            found = _cifar_variant(folder / child)
            if found != variant:
                raise DataError(
                    f"{folder / child} lacks the {variant} python batches "
                    f"({'data_batch_1, batches.meta' if variant == 'cifar10' else 'train, meta'}); "
                    "extract the official archive there"
                )
            return CifarData((folder / child).resolve(), variant)
    variant = _cifar_variant(folder)
    if variant is not None:
        return CifarData(folder.resolve(), variant)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        files.extend(
            (p, label) for p in sorted((folder / name).iterdir())
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
    if not classes or not files:
        raise DataError(
            f"{folder} is neither a CIFAR python layout (cifar-10-batches-py/ or "
            "cifar-100-python/) nor an image folder (class subfolders of .png/.jpg files)"
        )
    return ImageFolderData(folder.resolve(), classes, files)


_DEFAULT: DataSource | None = None


def default_data() -> DataSource:
    """The built-in default: scikit-learn's digits (real images shipped with the package)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = DigitsData()
    return _DEFAULT


def resolve_data(data: DataSource | str | Path | None) -> DataSource:
    """A data source from None (digits), 'digits', a folder path, or a DataSource."""
    if data is None or (isinstance(data, str) and data in ("digits", "sklearn-digits")):
        return default_data()
    if isinstance(data, DataSource):
        return data
    if isinstance(data, (str, Path)):
        return open_data_dir(data)
    raise DataError(
        f"data must be a folder path, 'digits' or a DataSource, got {type(data).__name__}"
    )
