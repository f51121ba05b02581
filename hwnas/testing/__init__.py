"""Shared test suites for plugins, shipped so a third-party plugin can run them (as
`optuna.testing` does): call the checks from your own tests on your profiler. Each check
raises AssertionError naming what broke; pytest is imported only to skip a profiler that
is not installed here or reaches no device.

    import pytest
    from hwnas.testing import PROFILER_CHECKS

    @pytest.mark.parametrize("check", PROFILER_CHECKS, ids=lambda check: check.__name__)
    def test_my_profiler(check):
        check(MyProfiler())
"""

from __future__ import annotations

from hwnas.testing._profilers import (
    PROFILER_CHECKS,
    SUITE_SETTINGS,
    TINY_ARCH,
    check_latency_grows_with_batch_size,
    check_measures_a_tiny_network,
    check_profiler,
    runnable_device,
    tiny_source,
)

__all__ = [
    "PROFILER_CHECKS",
    "SUITE_SETTINGS",
    "TINY_ARCH",
    "check_latency_grows_with_batch_size",
    "check_measures_a_tiny_network",
    "check_profiler",
    "runnable_device",
    "tiny_source",
]
