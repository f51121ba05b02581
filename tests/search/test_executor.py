"""Executors: the local default, and Ray where it is installed (it is not on the CI host)."""

from __future__ import annotations

import importlib.util

import pytest

from hwnas.core import MissingDependencyError, UnknownPluginError
from hwnas.search import (
    RayExecutor,
    SearchConfig,
    SourceContext,
    create_executor,
    create_source,
    list_executors,
    run_search,
)

HAS_RAY = importlib.util.find_spec("ray") is not None


def test_registry() -> None:
    assert list_executors() == ["local", "ray"]
    with pytest.raises(UnknownPluginError, match="known executors: local, ray"):
        create_executor("dask")


def test_local_executor_keeps_order(data_dir, nb201) -> None:
    source = create_source("table", "pi5-onnx", SourceContext("nb201", "latency"))
    archs = nb201.sample(5, seed=3)
    assert create_executor("local").values(source, archs) == source.values(archs)


@pytest.mark.skipif(HAS_RAY, reason="ray is installed here; this checks the message without it")
def test_ray_missing_names_the_extra() -> None:
    with pytest.raises(MissingDependencyError, match=r"pip install 'hwnas\[ray\]'"):
        RayExecutor()


@pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (extra `ray`; ray.init takes "
                    "~17 s and ~700 MB, so CI does not install it)")
def test_ray_executor_matches_local(tmp_path, data_dir) -> None:
    executor = RayExecutor(num_cpus=2)
    try:
        config = SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx", strategy="random",
                              budget=16, seed=5, bands=2)
        on_ray = run_search(config, tmp_path / "ray", executor=executor)
        local = run_search(config, tmp_path / "local")
        assert on_ray.front == local.front and on_ray.hv == local.hv
    finally:
        executor.close()
