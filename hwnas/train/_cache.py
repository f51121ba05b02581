"""Trained accuracy as a cached value: `train:DATA:EPOCHS` for searches and proxy labels.

Each (architecture, data, recipe, seed, device kind) trains once into its own folder of
the cache (`$XDG_CACHE_HOME/hwnas/train`, else `~/.cache/hwnas/train`, or a folder
named by the caller); asking again returns the stored result, and a training killed
half-way resumes from its checkpoint the next time it is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import Architecture, ConfigError
from hwnas.train._data import TrainingData, data_name, load_training_data
from hwnas.train._recipe import Recipe
from hwnas.train._trainer import Progress, TrainResult, resolve_recipe, train_architecture

TARGET_EXAMPLE = "train:digits:5"


@dataclass(frozen=True)
class TrainTarget:
    """`DATA:EPOCHS` of a `train:` source: what to train on and for how long."""

    data: str
    epochs: int

    def __str__(self) -> str:
        return f"{self.data}:{self.epochs}"


def parse_train_target(text: str) -> TrainTarget:
    """`digits:5` or `/path/to/cifar:30` (the epochs after the last colon)."""
    data, sep, epochs = (text or "").strip().rpartition(":")
    if not sep or not data or not epochs.strip().isdigit() or int(epochs) < 1:
        raise ConfigError(
            f"train source {text!r} must be DATA:EPOCHS with DATA digits or a folder and "
            f"EPOCHS a positive whole number, e.g. {TARGET_EXAMPLE}"
        )
    return TrainTarget(data.strip(), int(epochs))


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/hwnas/train`, else `~/.cache/hwnas/train`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "hwnas" / "train"


class TrainCache:
    """Trains architectures for one data set, recipe and seed into a cache folder."""

    def __init__(self, target: TrainTarget, recipe: Recipe | None = None, seed: int = 0,
                 cache_dir: str | Path | None = None, device: str | None = None,
                 threads: int | None = None) -> None:
        self.target = target
        self.base_recipe = (recipe or Recipe()).replace(epochs=target.epochs)
        self.seed = int(seed)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self.device = device or "cpu"
        self.threads = threads
        self.data_name = data_name(target.data)
        self._data: TrainingData | None = None

    @property
    def data(self) -> TrainingData:
        if self._data is None:
            self._data = load_training_data(self.target.data, self.base_recipe)
        return self._data

    @property
    def recipe(self) -> Recipe:
        """The recipe with the data-dependent keys filled in."""
        return resolve_recipe(self.base_recipe, self.data)

    def folder(self, arch: Architecture) -> Path:
        """The cache folder of `arch` (its key hashes arch, data, recipe, seed, device)."""
        key = json.dumps({"space": arch.space, "arch": arch.string, "data": self.data_name,
                          "recipe": self.recipe.to_dict(), "seed": self.seed,
                          "device": "cpu" if self.device == "cpu" else "cuda"}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.cache_dir / f"{arch.space}-{arch.arch_id[:12]}-{digest}"

    def train(self, arch: Architecture, progress: Progress | None = None) -> TrainResult:
        """The trained result of `arch` (from the cache when it is there)."""
        return train_architecture(arch, self.folder(arch), self.target.data, self.base_recipe,
                                  self.seed, self.device, self.threads, progress,
                                  training_data=self.data)

    def describe(self) -> dict[str, object]:
        return {"data": self.data_name, "epochs": self.target.epochs, "seed": self.seed,
                "device": self.device, "threads": self.threads, "cache": str(self.cache_dir),
                "recipe": self.recipe.to_dict(), "recipe_fingerprint": self.recipe.fingerprint()}


def distinct_sample(space: Any, count: int, seed: int) -> list[Architecture]:
    """`count` architectures drawn at random, no two computing the same network."""
    import random

    rng = random.Random(seed)
    chosen: dict[str, Architecture] = {}
    for _ in range(count * 1000):
        if len(chosen) >= count:
            break
        arch = space.sample(1, seed=rng)[0]
        chosen.setdefault(space.isomorphism_key(arch), arch)
    if len(chosen) < count:
        raise ConfigError(f"space {space.name} gave only {len(chosen)} distinct architectures; "
                          f"ask for at most {len(chosen)}")
    return list(chosen.values())


def trained_labels(
    archs: Sequence[Architecture], cache: TrainCache,
    progress: Callable[[int, int, TrainResult], None] | None = None,
) -> list[TrainResult]:
    """Train (or read from the cache) every architecture: the labels of a proxy ensemble."""
    results = []
    for index, arch in enumerate(archs):
        results.append(cache.train(arch))
        if progress is not None:
            progress(index + 1, len(archs), results[-1])
    return results
