"""Fixtures for the predictor tests: Pi 5 data and a real host latency table."""

from __future__ import annotations

import pytest

METRIC = "onnx/cifar100/latency_ms"


@pytest.fixture(scope="session")
def pi5(data_dir):
    from hwnas.benchmarks import open_table

    return open_table("pi5")


@pytest.fixture(scope="session")
def onnx_split(pi5):
    """300 measured architectures to train on, 600 others to test on."""
    from hwnas.predictors import measured_dataset

    train, rest = measured_dataset(pi5, METRIC).split(300, seed=1)
    return train, rest.subset(range(600))


@pytest.fixture(scope="session")
def host_nb201_table():
    """A NAS-Bench-201 latency table measured with ONNX Runtime on this host (cifar100
    head), with few repeats per block: real, but quick."""
    from hwnas.lut import build_table
    from hwnas.profilers import ProfileSettings

    settings = ProfileSettings(
        threads=1, warmup=2, min_repeats=5, max_repeats=20, max_seconds=0.3, ci_fraction=0.2
    )
    return build_table("nb201", "host-cpu", settings=settings, num_classes=100)
