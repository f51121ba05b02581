"""The training recipe as data: NAS-Bench-201's by default, read from TOML, overridable.

NAS-Bench-201 (Dong & Yang, 2020) trained every cell with SGD (Nesterov momentum 0.9),
learning rate 0.1 with cosine decay to 0 (per iteration), weight decay 5e-4, batch 256,
cross-entropy, random crop (4 pixels of padding) and horizontal flip on 32x32 CIFAR
images, for 200 epochs. Those are the defaults here. Keys left unset (`input_size`,
`crop_padding`, `flip`) are resolved against the data: the data's natural size, an
eighth of the side as crop padding (4 at 32x32, 2 at 16x16), and flipping for photos
but not for digits (a mirrored 2 or 5 is not a 2 or 5).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError

SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class Recipe:
    """How to train: optimiser, schedule, batch, augmentation and the data split."""

    epochs: int = 200
    batch_size: int = 256
    learning_rate: float = 0.1
    min_learning_rate: float = 0.0
    schedule: str = "cosine"  # cosine (per iteration) | constant
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    input_size: int | None = None  # square side in pixels; None: the data's own (digits: 16)
    crop_padding: int | None = None  # None: input_size // 8
    flip: bool | None = None  # None: the data's default (digits: no)
    val_fraction: float = 0.1
    test_fraction: float = 0.2  # ignored when the data ships its own test set (CIFAR)
    split_seed: int = 0
    train_subset: int | None = None  # use only the first N training images (quick checks)

    def __post_init__(self) -> None:
        _check(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Recipe:
        """A copy with `changes` applied (checked like a TOML file's keys)."""
        return from_mapping({**self.to_dict(), **changes}, "override")

    def fingerprint(self) -> str:
        """A short hash of every key (what the training cache keys on)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The recipe as TOML (`load_recipe` reads it back); unset keys are comments."""
        lines = ["# hwnas training recipe (defaults: NAS-Bench-201)"]
        for key, value in self.to_dict().items():
            if value is None:
                lines.append(f"# {key} = (unset: resolved from the data)")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


_FIELDS = {f.name: f for f in dataclasses.fields(Recipe)}
_TYPES: dict[str, tuple[type, ...]] = {
    "epochs": (int,), "batch_size": (int,), "learning_rate": (float, int),
    "min_learning_rate": (float, int), "schedule": (str,), "momentum": (float, int),
    "nesterov": (bool,), "weight_decay": (float, int), "input_size": (int,),
    "crop_padding": (int,), "flip": (bool,), "val_fraction": (float, int),
    "test_fraction": (float, int), "split_seed": (int,), "train_subset": (int,),
}


_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _bad(key: str, value: Any, fix: str) -> ConfigError:
    return ConfigError(f"recipe key {key} = {value!r}: {fix}")


def _check(recipe: Recipe) -> None:
    for key, types in _TYPES.items():
        value = getattr(recipe, key)
        if value is None and _FIELDS[key].default is None:
            continue
        # bool is an int: reject it where a number is meant, and numbers where a bool is
        if isinstance(value, bool) != (bool in types) or not isinstance(value, types):
            raise _bad(key, value, f"must be {_KINDS[types[0]]}")
    if recipe.epochs < 1:
        raise _bad("epochs", recipe.epochs, "must be at least 1")
    if recipe.batch_size < 2:
        raise _bad("batch_size", recipe.batch_size, "BatchNorm needs batches of 2 or more")
    for key in ("learning_rate", "min_learning_rate", "momentum", "weight_decay"):
        value = float(getattr(recipe, key))
        if not math.isfinite(value) or value < 0:
            raise _bad(key, value, "must be a finite number >= 0")
    if recipe.learning_rate <= 0:
        raise _bad("learning_rate", recipe.learning_rate, "must be above 0")
    if recipe.min_learning_rate > recipe.learning_rate:
        raise _bad("min_learning_rate", recipe.min_learning_rate,
                   f"must not exceed learning_rate ({recipe.learning_rate})")
    if recipe.momentum >= 1:
        raise _bad("momentum", recipe.momentum, "must be below 1")
    if recipe.nesterov and recipe.momentum == 0:
        raise _bad("nesterov", True, "Nesterov needs momentum > 0; set momentum or nesterov=false")
    if recipe.schedule not in SCHEDULES:
        raise _bad("schedule", recipe.schedule, f"use one of {', '.join(SCHEDULES)}")
    if recipe.input_size is not None and (recipe.input_size < 4 or recipe.input_size % 4):
        raise _bad("input_size", recipe.input_size,
                   "must be a multiple of 4 (two stride-2 reductions), e.g. 16 or 32")
    if recipe.crop_padding is not None and recipe.crop_padding < 0:
        raise _bad("crop_padding", recipe.crop_padding, "must be >= 0 (0 turns cropping off)")
    for key in ("val_fraction", "test_fraction"):
        value = float(getattr(recipe, key))
        if not 0 < value < 0.5:
            raise _bad(key, value, "must be above 0 and below 0.5")
    if recipe.train_subset is not None and recipe.train_subset < 2:
        raise _bad("train_subset", recipe.train_subset, "must be at least 2 (or unset)")


def from_mapping(values: dict[str, Any], where: str) -> Recipe:
    """A recipe from a mapping of keys; unknown keys and bad values raise ConfigError."""
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown recipe key {unknown[0]!r}; known keys: {', '.join(_FIELDS)}"
        )
    converted = {}
    for key, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool) and float in _TYPES[key]:
            value = float(value)
        converted[key] = value
    return Recipe(**converted)


def load_recipe(path: str | Path | None = None, **overrides: Any) -> Recipe:
    """NAS-Bench-201's recipe, or a TOML file's keys over it, then `overrides` (None skipped)."""
    values: dict[str, Any] = {}
    where = "defaults"
    if path is not None:
        file = Path(path).expanduser()
        where = str(file)
        try:
            values = tomllib.loads(file.read_text())
        except OSError as error:
            raise ConfigError(f"cannot read recipe {file} ({error.strerror}); check the path") \
                from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"recipe {file} is not valid TOML ({error}); fix the line named") \
                from None
        for key, value in values.items():
            if isinstance(value, dict):
                raise ConfigError(f"{file}: recipe keys are flat; move the keys of [{key}] to the "
                                  "top level")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return from_mapping(values, where)


def parse_override(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` with VALUE read as TOML (numbers, true/false, quoted or bare strings)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or not raw:
        raise ConfigError(f"--set {text!r} must be KEY=VALUE, e.g. --set batch_size=64")
    if key not in _FIELDS:
        raise ConfigError(f"--set {text!r}: unknown recipe key {key!r}; known keys: "
                          f"{', '.join(_FIELDS)}")
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word: a string (schedule=constant)
    return key, value


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Every `--set KEY=VALUE` as a dict."""
    return dict(parse_override(item) for item in items or [])
