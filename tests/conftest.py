"""Shared fixtures: the benchmark data folder (fails under CI when missing)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hwnas.benchmarks._data import find_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _proxy_score_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Proxy scores go to a cache of this test session, not the user's ~/.cache (tests that
    run `hwnas` in a subprocess pass the variable on)."""
    if "HWNAS_PROXY_CACHE" not in os.environ:
        os.environ["HWNAS_PROXY_CACHE"] = str(
            tmp_path_factory.mktemp("proxy-cache") / "scores.sqlite")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """`../shared/data` (or $HWNAS_DATA); under CI=true a missing folder fails the test."""
    found = find_data_dir(required=False)
    if found is None:
        message = "benchmark data not found: set HWNAS_DATA or place ../shared/data"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def nb201():
    from hwnas.spaces import create_space

    return create_space("nb201")
