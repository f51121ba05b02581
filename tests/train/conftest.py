"""Fixtures for the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import TINY_TOML


@pytest.fixture()
def tiny_recipe_file(tmp_path: Path) -> Path:
    """Digits at 8x8, 64 training images, batches of 32."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path
