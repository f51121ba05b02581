"""The shared profiler suite: every check a registered profiler must pass.

A plugin author runs it on their profiler in their own tests:

    from hwnas.testing import PROFILER_CHECKS
    @pytest.mark.parametrize("check", PROFILER_CHECKS, ids=lambda c: c.__name__)
    def test_my_profiler(check):
        check(MyProfiler())

Each check takes a `Profiler` (or a registered name) and, optionally, the catalog device
to measure on; without one it picks the first device the profiler can reach from this
host (host-cpu first). A profiler that is not installed here, or reaches no device, is
skipped with its reason (pytest is imported only then). A failed check raises
AssertionError naming the profiler and what broke. The network is a tiny NAS-Bench-201
cell at 8x8, so a profiler runs the suite in seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from hwnas.core import DeviceError
from hwnas.profilers import ModelSource, Profiler, ProfileSettings, create_profiler

TINY_ARCH = (
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
)
SUITE_SETTINGS = ProfileSettings(warmup=2, min_repeats=5, max_repeats=20, max_seconds=5.0)

ProfilerCheck = Callable[..., None]


def tiny_source() -> ModelSource:
    """The suite's network: a NAS-Bench-201 cell, 3x8x8 input, 5 classes."""
    return ModelSource.from_architecture(
        TINY_ARCH, space="nb201", input_shape=(3, 8, 8), num_classes=5
    )


def _skip(reason: str) -> None:
    import pytest  # a test dependency: imported only when a check has to skip

    pytest.skip(reason)


def runnable_device(profiler: Profiler | str, devices: list[str] | None = None) -> str:
    """The first of `devices` (default: host-cpu, then the catalog) that `profiler` can
    reach from this host; skips the calling test when it is not installed or reaches none."""
    from hwnas.devices import get_device, list_devices

    profiler = create_profiler(profiler)
    reason = profiler.unavailable_reason()
    if reason:
        _skip(reason)
    for device in devices if devices is not None else ["host-cpu", *list_devices()]:
        try:
            profiler.check_device(get_device(device))
        except DeviceError:
            continue
        return device
    _skip(f"no catalog device that {profiler.name} can reach from this host")
    raise AssertionError("unreachable")  # pytest.skip raises


def check_measures_a_tiny_network(
    profiler: Profiler | str,
    device: str | None = None,
    source: ModelSource | None = None,
) -> None:
    """One measurement: the record names the profiler, device and architecture; latencies
    are positive and ordered; repeats follow the protocol; the host load is recorded."""
    profiler = create_profiler(profiler)
    device = device or runnable_device(profiler)
    model = source or tiny_source()
    m = profiler.profile(model, device, SUITE_SETTINGS)
    name = profiler.name
    assert m.profiler == name and m.device == device, f"{name}: record says {m.profiler}/{m.device}"
    assert m.arch_id == model.arch_id and m.arch_string == model.arch_string, (
        f"{name}: the measurement lost the architecture ({m.arch_string!r})"
    )
    assert 0 < m.latency_p50_ms <= m.latency_p90_ms, (
        f"{name}: p50 {m.latency_p50_ms} ms, p90 {m.latency_p90_ms} ms"
    )
    assert m.latency_mean_ms > 0 and m.latency_std_ms >= 0, f"{name}: mean or std out of range"
    if profiler.analytical:
        assert m.repeats == 1, f"{name} is analytical but reports {m.repeats} repeats"
    else:
        assert m.repeats >= SUITE_SETTINGS.min_repeats, (
            f"{name}: {m.repeats} repeats, fewer than min_repeats {SUITE_SETTINGS.min_repeats}"
        )
    assert m.batch_size == 1 and m.precision == "fp32", f"{name}: settings not recorded"
    assert "load_average_1m" in m.environment["host"], f"{name}: host load not recorded"


def check_latency_grows_with_batch_size(
    profiler: Profiler | str,
    device: str | None = None,
    source: ModelSource | None = None,
) -> None:
    """Batch 32 takes longer than batch 1 (and the record says batch 32)."""
    profiler = create_profiler(profiler)
    device = device or runnable_device(profiler)
    model = source or tiny_source()
    one = profiler.profile(model, device, SUITE_SETTINGS)
    many = profiler.profile(
        model, device, ProfileSettings(batch_size=32, warmup=2, min_repeats=5, max_repeats=20)
    )
    name = profiler.name
    assert many.batch_size == 32, f"{name}: batch 32 recorded as {many.batch_size}"
    assert many.latency_p50_ms > one.latency_p50_ms, (
        f"{name}: batch 32 ({many.latency_p50_ms} ms) is not slower than batch 1 "
        f"({one.latency_p50_ms} ms)"
    )


PROFILER_CHECKS: tuple[ProfilerCheck, ...] = (
    check_measures_a_tiny_network,
    check_latency_grows_with_batch_size,
)


def check_profiler(profiler: Profiler | str, device: str | None = None) -> None:
    """Every check of the shared profiler suite, in order, on one device."""
    profiler = create_profiler(profiler)
    device = device or runnable_device(profiler)
    for check in PROFILER_CHECKS:
        check(profiler, device)
