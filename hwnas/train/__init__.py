"""Train what the search finds: image classification for any registered space's network.

`train_architecture(arch, out_dir, data="digits", recipe=load_recipe(...))` trains on
scikit-learn's digits (the default), a CIFAR-10/100 python-batch folder or an image
folder, with NAS-Bench-201's recipe by default, checkpointing every epoch (resumable,
deterministic on CPU). `TrainCache` is the `train:DATA:EPOCHS` objective's store.
Importing this package is cheap: torch loads inside functions.
"""

from __future__ import annotations

from hwnas.train._cache import (
    TARGET_EXAMPLE,
    TrainCache,
    TrainTarget,
    default_cache_dir,
    distinct_sample,
    parse_train_target,
    trained_labels,
)
from hwnas.train._checkpoint import CheckpointError, load_checkpoint
from hwnas.train._data import (
    DIGITS_INPUT_SIZE,
    TrainingData,
    augment,
    data_name,
    load_training_data,
)
from hwnas.train._log import EpochLog, EpochRecord
from hwnas.train._recipe import Recipe, load_recipe, parse_overrides
from hwnas.train._trainer import (
    CHECKPOINT,
    LOG,
    RESULT,
    WEIGHTS,
    TrainResult,
    build_network,
    evaluate,
    learning_rate_at,
    resolve_device,
    resolve_recipe,
    train_architecture,
)

__all__ = [
    "CHECKPOINT",
    "DIGITS_INPUT_SIZE",
    "LOG",
    "RESULT",
    "TARGET_EXAMPLE",
    "WEIGHTS",
    "CheckpointError",
    "EpochLog",
    "EpochRecord",
    "Recipe",
    "TrainCache",
    "TrainResult",
    "TrainTarget",
    "TrainingData",
    "augment",
    "build_network",
    "data_name",
    "default_cache_dir",
    "distinct_sample",
    "evaluate",
    "learning_rate_at",
    "load_checkpoint",
    "load_recipe",
    "load_training_data",
    "parse_overrides",
    "parse_train_target",
    "resolve_device",
    "resolve_recipe",
    "train_architecture",
    "trained_labels",
]
