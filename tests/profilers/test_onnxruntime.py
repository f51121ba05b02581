"""The ONNX Runtime profiler against the real onnxruntime."""

from __future__ import annotations

import pytest

from hwnas.core import ConfigError, DeviceError
from hwnas.profilers import ModelSource, ProfileSettings, create_profiler

SMALL = ProfileSettings(warmup=2, min_repeats=5, max_repeats=30)


def matmul_model(dynamic_batch: bool, extra_symbolic: bool = False) -> bytes:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    batch = "N" if dynamic_batch else 1
    features = "F" if extra_symbolic else 64
    weight = numpy_helper.from_array(np.ones((64, 32), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 32])],
        initializer=[weight],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_thread_count_and_provider_are_recorded():
    m = create_profiler("onnxruntime", provider="cpu").profile(
        matmul_model(False), "host-cpu", ProfileSettings(threads=1, warmup=2, min_repeats=5)
    )
    assert m.environment["intra_op_threads"] == 1
    assert m.environment["threads"] == 1
    assert m.environment["execution_provider"] == "CPUExecutionProvider"
    assert m.environment["versions"]["onnxruntime"]


def test_symbolic_batch_takes_the_batch_size():
    m = create_profiler("onnxruntime").profile(
        matmul_model(True), "host-cpu", ProfileSettings(batch_size=4, warmup=1, min_repeats=5)
    )
    assert m.batch_size == 4 and m.latency_p50_ms > 0


def test_other_symbolic_dimensions_are_refused_with_a_fix():
    with pytest.raises(ConfigError, match="fixed input size"):
        create_profiler("onnxruntime").profile(matmul_model(True, True), "host-cpu", SMALL)


def test_precision_other_than_fp32_is_refused():
    with pytest.raises(ConfigError, match="fp32"):
        create_profiler("onnxruntime").profile(
            matmul_model(False), "host-cpu", ProfileSettings(precision="fp16")
        )


def test_cuda_provider_without_a_gpu_says_so():
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this host has the CUDA provider")
    with pytest.raises(DeviceError, match="CUDAExecutionProvider"):
        create_profiler("onnxruntime", provider="cuda").profile(matmul_model(False), "host-cpu")


def test_bad_provider_name():
    with pytest.raises(ConfigError, match="auto, cpu or cuda"):
        create_profiler("onnxruntime", provider="tpu")


def test_corrupt_onnx_fails_one_measurement_with_a_device_error():
    with pytest.raises(DeviceError, match="onnxruntime failed on host-cpu"):
        create_profiler("onnxruntime").profile(
            ModelSource.from_onnx(b"not onnx"), "host-cpu", SMALL
        )


def test_a_bigger_network_is_slower():
    profiler = create_profiler("onnxruntime")
    settings = ProfileSettings(threads=1, warmup=3, min_repeats=10)
    convs = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    skips = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"
    shape = (3, 16, 16)
    heavy = profiler.profile(
        ModelSource.from_architecture(convs, "nb201", shape), "host-cpu", settings
    )
    light = profiler.profile(
        ModelSource.from_architecture(skips, "nb201", shape), "host-cpu", settings
    )
    assert heavy.latency_p50_ms > 2 * light.latency_p50_ms


def test_real_runs_are_grouped_into_samples_of_at_least_min_sample_ms():
    model = matmul_model(False)  # microseconds per inference
    ort = create_profiler("onnxruntime", provider="cpu")
    grouped = ort.profile(
        model, "host-cpu", ProfileSettings(threads=1, warmup=5, min_repeats=5, min_sample_ms=2)
    )
    single = ort.profile(
        model, "host-cpu", ProfileSettings(threads=1, warmup=5, min_repeats=5, min_sample_ms=0)
    )
    per_sample = grouped.environment["inferences_per_sample"]
    assert per_sample > 1
    assert grouped.environment["inferences_timed"] == per_sample * grouped.repeats
    assert grouped.environment["min_sample_ms"] == 2
    assert grouped.environment["per_inference_cv"] >= 0
    assert single.environment["inferences_per_sample"] == 1
    assert single.environment["inferences_timed"] == single.repeats
    assert grouped.latency_p50_ms > 0 and single.latency_p50_ms > 0
