"""The shipped profiler suite (`hwnas.testing`) fails a broken plugin and skips one that
cannot run here; importing it does not import pytest."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hwnas.profilers import Profiler
from hwnas.testing import (
    check_latency_grows_with_batch_size,
    check_measures_a_tiny_network,
    runnable_device,
)


class ConstantProfiler(Profiler):
    """A plugin that ignores the batch size: every inference 'takes' 1 ms."""

    name = "constant"

    def _prepare(self, model, device, settings):
        return None

    def _run(self, handle, iterations):
        return [1.0] * iterations


class MissingLibraryProfiler(ConstantProfiler):
    name = "missing-library"

    def unavailable_reason(self):
        return "its library is not installed"


def test_a_plugin_that_ignores_the_batch_size_fails_the_batch_check():
    check_measures_a_tiny_network(ConstantProfiler(), "host-cpu")  # the record itself is fine
    with pytest.raises(AssertionError, match="constant: batch 32 .* is not slower than batch 1"):
        check_latency_grows_with_batch_size(ConstantProfiler(), "host-cpu")


def test_a_plugin_that_cannot_run_here_is_skipped_with_its_reason():
    with pytest.raises(pytest.skip.Exception, match="its library is not installed"):
        runnable_device(MissingLibraryProfiler())
    assert runnable_device(ConstantProfiler()) == "host-cpu"


def test_importing_the_suite_does_not_import_pytest():
    code = "import sys, hwnas.testing; assert 'pytest' not in sys.modules, 'pytest imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
