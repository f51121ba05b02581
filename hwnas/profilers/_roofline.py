"""The roofline model: latency and energy of an ONNX graph from the catalog's peak figures.

Per node, FLOPs and bytes moved come from ONNX shape inference; the node takes
max(FLOPs / peak compute, bytes / memory bandwidth) plus a fixed per-node overhead
(dispatch, kernel launch). No device is needed, so it runs for every catalog entry.

Conventions (hand-checkable): a multiply-add is 2 FLOPs; a bias adds one FLOP per output
element; elementwise ops cost one FLOP per output element; pooling costs one FLOP per
window element per output; bytes are every input (weights included) plus every output,
at the element size of the precision for float tensors. Shape-only ops (Reshape,
Flatten, Constant, ...) cost nothing and add no overhead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hwnas.core import DeviceError, DeviceSpec
from hwnas.profilers._base import PROFILERS, Profiler
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings

DEFAULT_NODE_OVERHEAD_US = 5.0
FREE_OPS = frozenset(
    {
        "Constant",
        "Shape",
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Identity",
        "Dropout",
        "ConstantOfShape",
    }
)
_FLOAT_BYTES = {"fp32": 4, "fp16": 2, "int16": 2, "int8": 1}


@dataclass(frozen=True)
class NodeCost:
    """FLOPs and bytes moved by one ONNX node."""

    name: str
    op_type: str
    flops: int
    bytes_moved: int
    free: bool = False


def _element_bytes(elem_type: int, precision: str) -> int:
    from onnx import TensorProto, helper

    if elem_type in (
        TensorProto.FLOAT,
        TensorProto.FLOAT16,
        TensorProto.DOUBLE,
        TensorProto.BFLOAT16,
    ):
        return _FLOAT_BYTES[precision]
    return int(helper.tensor_dtype_to_np_dtype(elem_type).itemsize)


def _shapes(model: Any) -> dict[str, tuple[tuple[int, ...], int]]:
    """Name -> (shape, element type) of every tensor with a fully known shape."""
    out: dict[str, tuple[tuple[int, ...], int]] = {}
    graph = model.graph
    for info in (*graph.input, *graph.value_info, *graph.output):
        tensor = info.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim)
        if all(d >= 0 for d in dims):
            out[info.name] = (dims, tensor.elem_type)
    for init in graph.initializer:
        out[init.name] = (tuple(init.dims), init.data_type)
    for node in graph.node:
        if node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value":
                    out[node.output[0]] = (tuple(attribute.t.dims), attribute.t.data_type)
    return out


def _attribute(node: Any, name: str, default: Any) -> Any:
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _node_flops(node: Any, shapes: dict[str, tuple[tuple[int, ...], int]]) -> int:
    op = node.op_type
    inputs = [shapes[name][0] if name in shapes else None for name in node.input]
    out = shapes.get(node.output[0], ((), 0))[0] if node.output else ()
    out_elements = math.prod(out) if out else 0
    if op in ("Conv", "ConvTranspose"):
        weight = inputs[1]
        # Conv weight (Cout, Cin/group, k...): each output element needs Cin/group * k MACs.
        macs_per_output = math.prod(weight[1:])
        if op == "ConvTranspose":
            macs_per_output = weight[0] * math.prod(weight[2:]) // max(1, weight[1])
        bias = out_elements if len(node.input) > 2 and node.input[2] else 0
        return 2 * out_elements * macs_per_output + bias
    if op == "MatMul":
        return 2 * out_elements * inputs[0][-1]
    if op == "Gemm":
        k = inputs[0][0] if _attribute(node, "transA", 0) else inputs[0][-1]
        bias = out_elements if len(node.input) > 2 and node.input[2] else 0
        return 2 * out_elements * k + bias
    if op in ("AveragePool", "MaxPool", "LpPool"):
        return out_elements * math.prod(_attribute(node, "kernel_shape", [1]))
    if op in ("GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax"):
        return math.prod(inputs[0]) if inputs and inputs[0] else out_elements
    if op == "BatchNormalization":
        return 2 * out_elements
    if op == "Softmax":
        return 5 * out_elements
    return out_elements


def node_costs(onnx_model: bytes | Any, precision: str = "fp32") -> list[NodeCost]:
    """FLOPs and bytes of every node of an ONNX model (bytes or ModelProto)."""
    import onnx

    model = onnx.load_from_string(onnx_model) if isinstance(onnx_model, bytes) else onnx_model
    model = onnx.shape_inference.infer_shapes(model)
    shapes = _shapes(model)
    costs = []
    for index, node in enumerate(model.graph.node):
        name = node.name or f"{node.op_type}_{index}"
        if node.op_type in FREE_OPS:
            costs.append(NodeCost(name, node.op_type, 0, 0, free=True))
            continue
        missing = [t for t in (*node.input, *node.output) if t and t not in shapes]
        if missing:
            raise DeviceError(
                f"roofline: shape inference left {missing[0]!r} (input/output of {name}) "
                "without a static shape; export the model with fixed input sizes"
            )
        moved = sum(
            math.prod(shapes[t][0]) * _element_bytes(shapes[t][1], precision)
            for t in (*node.input, *node.output)
            if t
        )
        costs.append(NodeCost(name, node.op_type, _node_flops(node, shapes), moved))
    return costs


@dataclass(frozen=True)
class RooflineEstimate:
    """The model's answer for one graph on one device."""

    latency_ms: float
    compute_ms: float  # sum of FLOPs / peak over nodes: the busy share for energy
    flops: int
    bytes_moved: int
    nodes: int
    memory_bound_nodes: int


def roofline_estimate(
    costs: list[NodeCost], peak_gflops: float, bandwidth_gbps: float, node_overhead_us: float
) -> RooflineEstimate:
    """Sum over nodes of max(FLOPs / peak, bytes / bandwidth) + overhead, in ms."""
    total_ms = compute_total = 0.0
    memory_bound = nodes = 0
    for cost in costs:
        if cost.free:
            continue
        compute_ms = cost.flops / (peak_gflops * 1e6)
        memory_ms = cost.bytes_moved / (bandwidth_gbps * 1e6)
        total_ms += max(compute_ms, memory_ms) + node_overhead_us / 1000.0
        compute_total += compute_ms
        memory_bound += memory_ms > compute_ms
        nodes += 1
    return RooflineEstimate(
        latency_ms=total_ms,
        compute_ms=compute_total,
        flops=sum(c.flops for c in costs),
        bytes_moved=sum(c.bytes_moved for c in costs),
        nodes=nodes,
        memory_bound_nodes=memory_bound,
    )


@dataclass
class _Handle:
    estimate: RooflineEstimate
    peak_gflops: float
    bandwidth_gbps: float
    node_overhead_us: float
    idle_power_w: float | None
    max_power_w: float | None


@PROFILERS.register("roofline")
class RooflineProfiler(Profiler):
    """Analytical latency/energy from catalog peaks; runs for any device without it.

    `node_overhead_us` defaults to the device's `properties.roofline_node_overhead_us`,
    else 5 us. Energy per inference = latency x (idle power + (max - idle) x compute
    share of the latency), from the catalog's power figures; None when they are absent.
    """

    name = "roofline"
    analytical = True

    def __init__(self, node_overhead_us: float | None = None) -> None:
        if node_overhead_us is not None and node_overhead_us < 0:
            raise DeviceError(f"node_overhead_us must be >= 0, got {node_overhead_us}")
        self.node_overhead_us = node_overhead_us

    def check_device(self, device: DeviceSpec) -> None:
        if not device.peak_gflops or not device.memory_bandwidth_gbps:
            raise DeviceError(
                f"roofline needs peak_gflops and memory_bandwidth_gbps for {device.name!r}; "
                "add them to its catalog entry"
            )

    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> Any:
        peak = device.peak_gflops_for(settings.precision)
        if peak is None:
            known = ", ".join(sorted(device.peak_gflops))
            raise DeviceError(
                f"{device.name} has no {settings.precision} peak in the catalog (it has {known}); "
                "pick one of those precisions or add the figure"
            )
        overhead = self.node_overhead_us
        if overhead is None:
            overhead = float(
                device.properties.get("roofline_node_overhead_us", DEFAULT_NODE_OVERHEAD_US)
            )
        costs = node_costs(model.onnx_bytes(settings.batch_size), settings.precision)
        bandwidth = float(device.memory_bandwidth_gbps)  # type: ignore[arg-type]
        return _Handle(
            roofline_estimate(costs, peak, bandwidth, overhead),
            peak,
            bandwidth,
            overhead,
            device.idle_power_w,
            device.max_power_w,
        )

    def _run(self, handle: _Handle, iterations: int) -> list[float]:
        return [handle.estimate.latency_ms] * iterations

    def _energy_mj(self, handle: _Handle, latency_ms: float) -> float | None:
        if handle.idle_power_w is None or handle.max_power_w is None:
            return None
        busy = min(1.0, handle.estimate.compute_ms / latency_ms) if latency_ms > 0 else 0.0
        power_w = handle.idle_power_w + (handle.max_power_w - handle.idle_power_w) * busy
        return latency_ms * power_w  # W x ms = mJ

    def _environment(self, handle: _Handle) -> dict[str, Any]:
        e = handle.estimate
        return {
            "model": "roofline",
            "peak_gflops": handle.peak_gflops,
            "memory_bandwidth_gbps": handle.bandwidth_gbps,
            "node_overhead_us": handle.node_overhead_us,
            "flops": e.flops,
            "bytes_moved": e.bytes_moved,
            "nodes": e.nodes,
            "memory_bound_nodes": e.memory_bound_nodes,
            "compute_ms": e.compute_ms,
        }
