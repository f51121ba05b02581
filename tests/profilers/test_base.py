"""The shared protocol, settings, statistics and model sources (no real device needed)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from hwnas.core import Architecture, ConfigError, DeviceError, UnknownPluginError
from hwnas.profilers import (
    ModelSource,
    Profiler,
    ProfileSettings,
    ProfilingError,
    as_model_source,
    create_profiler,
    list_profilers,
    median_ci,
    summarize,
)

ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


class SequenceProfiler(Profiler):
    """A test profiler whose 'inferences' return latencies drawn from a given generator."""

    name = "sequence"

    def __init__(self, draw, fail: bool = False) -> None:
        self.draw = draw
        self.fail = fail
        self.calls: list[int] = []
        self.closed = False

    def _prepare(self, model, device, settings):
        return model

    def _run(self, handle, iterations):
        self.calls.append(iterations)
        if self.fail:
            raise RuntimeError("board went away")
        return [self.draw() for _ in range(iterations)]

    def _close(self, handle):
        self.closed = True


def onnx_model() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_summary_matches_numpy():
    rng = np.random.default_rng(0)
    values = list(rng.lognormal(0, 0.3, size=101))
    got = summarize(values)
    assert got["latency_p50_ms"] == pytest.approx(np.percentile(values, 50))
    assert got["latency_p90_ms"] == pytest.approx(np.percentile(values, 90))
    assert got["latency_mean_ms"] == pytest.approx(np.mean(values))
    assert got["latency_std_ms"] == pytest.approx(np.std(values, ddof=1))


def test_median_ci_covers_true_median_about_95_percent():
    rng = random.Random(1)
    hits = 0
    for _ in range(400):
        values = sorted(rng.expovariate(1.0) for _ in range(50))
        low, high = median_ci(values)
        hits += low <= np.log(2) <= high
    assert 0.90 <= hits / 400 <= 0.99


def test_steady_latency_settles_at_min_repeats():
    profiler = SequenceProfiler(lambda: 2.0)
    settings = ProfileSettings(warmup=5, min_repeats=20, min_sample_ms=0)
    m = profiler.profile(ModelSource.from_onnx(onnx_model()), "host-cpu", settings)
    assert profiler.calls == [5, 20]
    assert m.environment["inferences_per_sample"] == 1
    assert m.repeats == 20 and not m.noisy and profiler.closed
    assert m.latency_p50_ms == 2.0 and m.latency_std_ms == 0.0
    assert m.device == "host-cpu" and m.profiler == "sequence"
    assert m.arch_id.startswith("onnx-")
    host = m.environment["host"]
    assert "load_average_1m" in host and "cpu_governor" in host and "versions" in host


def test_unsettled_latency_is_reported_noisy_at_the_cap():
    rng = random.Random(0)
    profiler = SequenceProfiler(lambda: rng.uniform(1.0, 100.0))
    settings = ProfileSettings(warmup=0, min_repeats=10, max_repeats=60, min_sample_ms=0)
    m = profiler.profile(onnx_model(), "host-cpu", settings)
    assert m.noisy
    assert m.repeats == 60
    assert m.environment["median_ci_fraction"] > 0.01


def test_failure_becomes_one_profiling_error_and_releases_the_handle():
    profiler = SequenceProfiler(lambda: 1.0, fail=True)
    with pytest.raises(ProfilingError, match="board went away"):
        profiler.profile(onnx_model(), "host-cpu")
    assert profiler.closed


def test_local_profiler_refuses_a_remote_device():
    with pytest.raises(DeviceError, match="tvm-rpc"):
        SequenceProfiler(lambda: 1.0).profile(onnx_model(), "raspberry-pi-5")


def test_a_profiler_must_write_both_methods():
    class Half(Profiler):
        def _prepare(self, model, device, settings):
            return None

    with pytest.raises(TypeError):
        Half()  # type: ignore[abstract]


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"precision": "fp64"},
        {"threads": 0},
        {"min_repeats": 2},
        {"min_repeats": 50, "max_repeats": 10},
        {"ci_fraction": 0},
        {"max_seconds": 0},
        {"min_sample_ms": -1},
        {"min_sample_ms": float("nan")},
        {"min_sample_ms": 1e9},
    ],
)
def test_bad_settings_say_what_is_wrong(options):
    with pytest.raises(ConfigError, match="invalid profile settings") as error:
        ProfileSettings(**options)
    assert "\n" not in str(error.value)


def test_samples_are_means_of_groups_sized_from_the_warm_up():
    # 'inferences' alternate 1 ms and 3 ms: a group of 4 always averages to exactly 2 ms
    values = iter([1.0, 3.0] * 10_000)
    profiler = SequenceProfiler(lambda: next(values))
    settings = ProfileSettings(warmup=4, min_repeats=10, min_sample_ms=7.0)
    m = profiler.profile(onnx_model(), "host-cpu", settings)
    # warm-up median 2 ms -> ceil(7 / 2) = 4 inferences per sample, one round of 10 samples
    assert profiler.calls == [4, 40]
    assert m.repeats == 10 and m.environment["inferences_per_sample"] == 4
    assert m.environment["inferences_timed"] == 40
    assert m.latency_p50_ms == 2.0 and m.latency_std_ms == 0.0 and not m.noisy
    assert m.environment["per_inference_cv"] == pytest.approx(np.std([1, 3] * 20, ddof=1) / 2, abs=1e-4)


def test_no_warm_up_sizes_groups_from_one_probe_inference():
    profiler = SequenceProfiler(lambda: 0.5)
    m = profiler.profile(onnx_model(), "host-cpu", ProfileSettings(warmup=0, min_repeats=5, min_sample_ms=2))
    assert profiler.calls == [1, 20] and m.environment["inferences_per_sample"] == 4


def test_a_run_that_returns_the_wrong_count_is_one_clear_error():
    class Short(SequenceProfiler):
        def _run(self, handle, iterations):
            return [1.0] * max(1, iterations // 2)

    with pytest.raises(ProfilingError, match="one per inference"):
        Short(lambda: 1.0).profile(onnx_model(), "host-cpu", ProfileSettings(min_sample_ms=5))


def test_model_sources():
    with pytest.raises(ConfigError, match="does not exist"):
        ModelSource.from_onnx("/nonexistent/model.onnx")
    with pytest.raises(ConfigError, match="space"):
        as_model_source(ARCH)
    with pytest.raises(ConfigError, match="cannot profile"):
        as_model_source(3.5)
    source = as_model_source(ARCH, space="nb201")
    assert source.architecture == Architecture("nb201", ARCH)
    assert source.arch_id == Architecture("nb201", ARCH).arch_id


def test_architecture_exports_onnx_for_the_batch_size(tmp_path):
    import onnx

    source = ModelSource.from_architecture(
        ARCH, space="nb201", input_shape=(3, 16, 16), num_classes=7
    )
    model = onnx.load_from_string(source.onnx_bytes(batch_size=2))
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    out = [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [2, 3, 16, 16] and out == [2, 7]
    assert source.onnx_bytes(batch_size=2) is source.onnx_bytes(batch_size=2)
    path = tmp_path / "m.onnx"
    path.write_bytes(source.onnx_bytes(1))
    assert ModelSource.from_onnx(path).onnx_bytes(8) == path.read_bytes()


def test_registry_lists_and_rejects_unknown_names():
    assert isinstance(list_profilers(), list)
    with pytest.raises(UnknownPluginError, match="known profilers"):
        create_profiler("no-such-profiler")
