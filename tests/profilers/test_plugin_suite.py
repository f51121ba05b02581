"""Every registered profiler runs through the shared suite (`hwnas.testing`) the moment it
is registered."""

from __future__ import annotations

import pytest

from hwnas.core import Architecture
from hwnas.profilers import ModelSource, list_profilers
from hwnas.testing import (
    TINY_ARCH,
    check_latency_grows_with_batch_size,
    check_measures_a_tiny_network,
    runnable_device,
    tiny_source,
)


@pytest.fixture(scope="module")
def source() -> ModelSource:
    return tiny_source()  # one source: its ONNX export is cached across profilers


def test_the_suite_network_is_the_tiny_nb201_cell(source):
    assert source.arch_id == Architecture("nb201", TINY_ARCH).arch_id
    assert source.resolved_input_shape() == (3, 8, 8) and source.num_classes == 5


@pytest.mark.parametrize("name", list_profilers())
def test_profiler_measures_a_tiny_network_on_this_host(name, source):
    check_measures_a_tiny_network(name, runnable_device(name), source)


@pytest.mark.parametrize("name", list_profilers())
def test_profiler_latency_grows_with_batch_size(name, source):
    device = runnable_device(name)
    if name == "tvm":
        pytest.skip("tvm builds take seconds each; its own tests cover batch sizes")
    check_latency_grows_with_batch_size(name, device, source)
