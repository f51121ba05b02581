"""Every registered profiler runs through this shared suite the moment it is registered."""

from __future__ import annotations

import pytest

from hwnas.core import Architecture
from hwnas.profilers import ModelSource, ProfileSettings, create_profiler, list_profilers

ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
SETTINGS = ProfileSettings(warmup=2, min_repeats=5, max_repeats=20, max_seconds=5.0)


def runnable(name: str):
    """The profiler and a catalog device it can measure here (host-cpu first), or skip."""
    from hwnas.core import DeviceError
    from hwnas.devices import get_device, list_devices

    profiler = create_profiler(name)
    reason = profiler.unavailable_reason()
    if reason:
        pytest.skip(reason)
    for device in ["host-cpu", *list_devices()]:
        try:
            profiler.check_device(get_device(device))
        except DeviceError:
            continue
        return profiler, device
    pytest.skip(f"no catalog device that {name} can reach from this host")


@pytest.fixture(scope="module")
def tiny_source() -> ModelSource:
    return ModelSource.from_architecture(ARCH, space="nb201", input_shape=(3, 8, 8), num_classes=5)


@pytest.mark.parametrize("name", list_profilers())
def test_profiler_measures_a_tiny_network_on_this_host(name, tiny_source):
    profiler, device = runnable(name)
    m = profiler.profile(tiny_source, device, SETTINGS)
    assert m.profiler == name and m.device == device
    assert m.arch_id == Architecture("nb201", ARCH).arch_id and m.arch_string == ARCH
    assert 0 < m.latency_p50_ms <= m.latency_p90_ms
    assert m.latency_mean_ms > 0 and m.latency_std_ms >= 0
    assert m.repeats == 1 if profiler.analytical else m.repeats >= SETTINGS.min_repeats
    assert m.batch_size == 1 and m.precision == "fp32"
    assert "load_average_1m" in m.environment["host"]


@pytest.mark.parametrize("name", list_profilers())
def test_profiler_latency_grows_with_batch_size(name, tiny_source):
    profiler, device = runnable(name)
    if name == "tvm":
        pytest.skip("tvm builds take seconds each; its own tests cover batch sizes")
    one = profiler.profile(tiny_source, device, SETTINGS)
    many = profiler.profile(
        tiny_source,
        device,
        ProfileSettings(batch_size=32, warmup=2, min_repeats=5, max_repeats=20),
    )
    assert many.batch_size == 32
    assert many.latency_p50_ms > one.latency_p50_ms
