"""The recipe: NAS-Bench-201's defaults, TOML files, overrides, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core import ConfigError
from hwnas.train import Recipe, learning_rate_at, load_recipe, parse_overrides
from hwnas.train._recipe import from_mapping


def test_defaults_are_nas_bench_201() -> None:
    recipe = load_recipe()
    assert (recipe.epochs, recipe.batch_size, recipe.learning_rate) == (200, 256, 0.1)
    assert (recipe.momentum, recipe.nesterov, recipe.weight_decay) == (0.9, True, 5e-4)
    assert recipe.schedule == "cosine" and recipe.min_learning_rate == 0.0
    assert recipe.input_size is None and recipe.flip is None and recipe.crop_padding is None


def test_toml_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text("epochs = 12\nlearning_rate = 1\nflip = false\nschedule = 'constant'\n")
    recipe = load_recipe(path, batch_size=64, epochs=None)
    assert recipe.epochs == 12 and recipe.batch_size == 64 and recipe.flip is False
    assert recipe.learning_rate == 1.0 and isinstance(recipe.learning_rate, float)
    assert load_recipe(path, epochs=3).epochs == 3
    # the recipe written out reads back the same
    out = tmp_path / "again.toml"
    out.write_text(recipe.to_toml())
    assert load_recipe(out) == recipe
    assert recipe.fingerprint() == load_recipe(out).fingerprint() != Recipe().fingerprint()


@pytest.mark.parametrize("text,match", [
    ("epoch = 3\n", r"unknown recipe key 'epoch'; known keys: epochs, batch_size"),
    ("epochs = 0\n", "epochs = 0: must be at least 1"),
    ("epochs = 2.5\n", "epochs = 2.5: must be a whole number"),
    ("batch_size = true\n", "must be a whole number"),
    ("nesterov = 1\n", "nesterov = 1: must be true or false"),
    ("input_size = 10\n", "multiple of 4"),
    ("schedule = 'step'\n", "use one of cosine, constant"),
    ("val_fraction = 0.7\n", "below 0.5"),
    ("momentum = 0\n", "Nesterov needs momentum"),
    ("learning_rate = -1\n", "finite number >= 0"),
    ("[optimizer]\nlr = 1\n", "keys are flat"),
    ("epochs = \n", "not valid TOML"),
])
def test_bad_recipes_are_one_line_errors(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as caught:
        load_recipe(path)
    assert "\n" not in str(caught.value)


def test_missing_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read recipe"):
        load_recipe(tmp_path / "absent.toml")


def test_set_overrides() -> None:
    values = parse_overrides(["batch_size=64", "schedule=constant", "flip=true",
                              "learning_rate=0.05"])
    assert values == {"batch_size": 64, "schedule": "constant", "flip": True,
                      "learning_rate": 0.05}
    assert from_mapping(values, "test").batch_size == 64
    with pytest.raises(ConfigError, match="must be KEY=VALUE"):
        parse_overrides(["batch_size"])
    with pytest.raises(ConfigError, match="unknown recipe key 'lr'"):
        parse_overrides(["lr=0.1"])


def test_cosine_schedule() -> None:
    recipe = Recipe()
    assert learning_rate_at(recipe, 0, 100) == pytest.approx(0.1)
    assert learning_rate_at(recipe, 50, 100) == pytest.approx(0.05)
    assert learning_rate_at(recipe, 100, 100) == pytest.approx(0.0)
    assert learning_rate_at(recipe.replace(schedule="constant"), 70, 100) == 0.1
