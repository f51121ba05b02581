"""Fixtures for the search tests: table objectives over the shared NAS-Bench-201 data."""

from __future__ import annotations

from pathlib import Path

import pytest

ONNX_OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"


@pytest.fixture(scope="session")
def objectives(data_dir: Path) -> str:
    """CIFAR-100 accuracy and Pi 5 ONNX Runtime latency, both from tables."""
    return ONNX_OBJECTIVES
