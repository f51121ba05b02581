"""The roofline model on hand-checkable graphs, and on every catalog device."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from hwnas.core import DeviceError
from hwnas.devices import get_device, list_devices
from hwnas.profilers import ModelSource, ProfileSettings, create_profiler
from hwnas.profilers._roofline import node_costs, roofline_estimate


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        initializer=[numpy_helper.from_array(np.ones(s, np.float32), n) for n, s in initializers],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def one_conv(bias: bool) -> bytes:
    inputs = ["x", "w", "b"] if bias else ["x", "w"]
    node = helper.make_node("Conv", inputs, ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    inits = [("w", (4, 3, 3, 3))] + ([("b", (4,))] if bias else [])
    # the output shape is left for shape inference to fill in
    return model([node], [("x", (1, 3, 8, 8))], [("y", None)], inits)


def one_matmul() -> bytes:
    node = helper.make_node("MatMul", ["a", "b"], ["c"])
    return model([node], [("a", (2, 3)), ("b", (3, 5))], [("c", None)])


def test_one_conv_exact_flops_and_bytes():
    (cost,) = node_costs(one_conv(bias=False))
    # output 1x4x8x8 = 256 elements, each 3*3*3 = 27 MACs = 54 FLOPs
    assert cost.flops == 2 * 256 * 27 == 13824
    # x 192 + w 108 + y 256 floats, 4 bytes each
    assert cost.bytes_moved == (192 + 108 + 256) * 4 == 2224
    (with_bias,) = node_costs(one_conv(bias=True))
    assert with_bias.flops == 13824 + 256
    assert with_bias.bytes_moved == 2224 + 4 * 4
    (half,) = node_costs(one_conv(bias=False), precision="fp16")
    assert half.bytes_moved == 2224 // 2


def test_one_matmul_exact_flops_and_bytes():
    (cost,) = node_costs(one_matmul())
    assert cost.flops == 2 * 2 * 3 * 5 == 60
    assert cost.bytes_moved == (6 + 15 + 10) * 4 == 124


def test_latency_is_max_of_compute_and_memory_plus_overhead():
    costs = node_costs(one_conv(bias=False))
    # 13824 FLOP at 1 GFLOP/s = 13.824 us; 2224 B at 1 GB/s = 2.224 us
    estimate = roofline_estimate(costs, peak_gflops=1.0, bandwidth_gbps=1.0, node_overhead_us=5.0)
    assert estimate.latency_ms == pytest.approx((13.824 + 5.0) / 1000)
    assert estimate.memory_bound_nodes == 0
    memory = roofline_estimate(costs, peak_gflops=1000.0, bandwidth_gbps=0.1, node_overhead_us=0.0)
    assert memory.latency_ms == pytest.approx(22.24 / 1000)
    assert memory.memory_bound_nodes == 1


def test_profiler_uses_catalog_peaks_and_power():
    spec = get_device("raspberry-pi-5")
    m = create_profiler("roofline", node_overhead_us=0.0).profile(one_matmul(), spec)
    compute_ms = 60 / (spec.peak_gflops["fp32"] * 1e6)
    memory_ms = 124 / (spec.memory_bandwidth_gbps * 1e6)
    assert m.latency_p50_ms == pytest.approx(max(compute_ms, memory_ms))
    busy = compute_ms / m.latency_p50_ms
    power = spec.idle_power_w + (spec.max_power_w - spec.idle_power_w) * busy
    assert m.energy_mj == pytest.approx(m.latency_p50_ms * power)
    assert m.repeats == 1 and not m.noisy


@pytest.fixture(scope="module")
def small_cell() -> ModelSource:
    arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    return ModelSource.from_architecture(arch, "nb201", input_shape=(3, 16, 16))  # exported once


@pytest.mark.parametrize("device", list_devices())
def test_runs_for_every_catalog_device_without_the_device(device, small_cell):
    spec = get_device(device)
    # accelerators that list only integer peaks (HW-NAS-Bench's FPGA, Eyeriss) run at those
    precision = "fp32" if "fp32" in spec.peak_gflops else sorted(spec.peak_gflops)[0]
    m = create_profiler("roofline").profile(small_cell, device, ProfileSettings(precision=precision))
    assert m.latency_p50_ms > 0 and m.device == device
    assert m.environment["flops"] > 0


def test_device_without_figures_is_refused_with_a_fix():
    spec = dataclasses.replace(get_device("raspberry-pi-5"), memory_bandwidth_gbps=None)
    with pytest.raises(DeviceError, match="memory_bandwidth_gbps"):
        create_profiler("roofline").profile(one_matmul(), spec)
    with pytest.raises(DeviceError, match="int8 peak"):
        create_profiler("roofline").profile(
            one_matmul(), "raspberry-pi-4", ProfileSettings(precision="int8")
        )


def test_conv_heavy_cell_costs_more_than_skip_cell():
    profiler = create_profiler("roofline")
    convs = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    skips = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"
    shape = (3, 16, 16)
    heavy = profiler.profile(ModelSource.from_architecture(convs, "nb201", shape), "raspberry-pi-5")
    light = profiler.profile(ModelSource.from_architecture(skips, "nb201", shape), "raspberry-pi-5")
    assert heavy.latency_p50_ms > 2 * light.latency_p50_ms
    assert heavy.environment["flops"] > light.environment["flops"]


def test_nb201_conv_flops_agree_with_the_space_exact_cost(nb201):
    arch = "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|"
    costs = node_costs(ModelSource.from_architecture(arch, "nb201").onnx_bytes(1))
    conv_flops = sum(c.flops for c in costs if c.op_type in ("Conv", "Gemm"))
    # the exported convolutions carry the folded BatchNorm as a bias: one FLOP per output
    assert conv_flops == pytest.approx(nb201.cost(arch).flops, rel=0.01)
    assert conv_flops > nb201.cost(arch).flops
