"""The typed records that travel between stages. Units live in field names."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

ObjectiveSource = Literal["measured", "table", "predicted", "proxy"]
Precision = Literal["fp32", "fp16", "int8"]


def utc_now_iso() -> str:
    """Current UTC time as an ISO-8601 string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def architecture_id(space: str, canonical_string: str) -> str:
    """Stable id of an architecture: a hash of its space and canonical string."""
    return hashlib.sha256(f"{space}:{canonical_string}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Architecture:
    """One point of a search space, identified by its canonical string."""

    space: str
    string: str

    @property
    def arch_id(self) -> str:
        return architecture_id(self.space, self.string)

    def __str__(self) -> str:
        return self.string

    def to_dict(self) -> dict[str, str]:
        return {"space": self.space, "string": self.string, "arch_id": self.arch_id}


@dataclass(frozen=True)
class DeviceAccess:
    """How a device is reached: on this host, over SSH, or through a TVM RPC tracker."""

    method: Literal["local", "ssh", "tvm-rpc"] = "local"
    host: str | None = None
    port: int | None = None
    user: str | None = None
    key_file: str | None = None
    known_hosts_file: str | None = None
    tracker_host: str | None = None
    tracker_port: int | None = None
    rpc_key: str | None = None
    timeout_s: float = 120.0


@dataclass(frozen=True)
class DeviceSpec:
    """A device's published figures and how to reach it."""

    name: str
    kind: str  # jetson, arm-cpu, x86-cpu, cuda-gpu, mobile-cpu, edge-tpu, ...
    family: str
    description: str = ""
    peak_gflops: Mapping[str, float] = field(default_factory=dict)  # per precision
    memory_bandwidth_gbps: float | None = None  # GB/s
    idle_power_w: float | None = None
    max_power_w: float | None = None
    default_profiler: str = "roofline"
    access: DeviceAccess = field(default_factory=DeviceAccess)
    properties: Mapping[str, Any] = field(default_factory=dict)  # e.g. tvm target

    def peak_gflops_for(self, precision: str) -> float | None:
        return self.peak_gflops.get(precision)

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True)
class Measurement:
    """One measured (architecture or model, device, settings) point."""

    arch_id: str
    device: str
    profiler: str
    batch_size: int
    precision: str
    latency_p50_ms: float
    latency_p90_ms: float
    latency_mean_ms: float
    latency_std_ms: float
    repeats: int
    arch_string: str = ""
    energy_mj: float | None = None
    idle_energy_mj: float | None = None
    peak_memory_mb: float | None = None
    noisy: bool = False
    environment: Mapping[str, Any] = field(default_factory=dict)
    timestamp: str = field(default_factory=utc_now_iso)

    @property
    def latency_cv(self) -> float:
        """Coefficient of variation of the latency samples (std / mean)."""
        return self.latency_std_ms / self.latency_mean_ms if self.latency_mean_ms else 0.0

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True)
class Prediction:
    """A predicted metric with the predictor that produced it."""

    arch_id: str
    device: str
    metric: str  # e.g. latency_ms, energy_mj: the unit is in the name
    value: float
    predictor: str
    predictor_version: str
    uncertainty: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True)
class ObjectiveValue:
    """One objective's value and where it came from."""

    name: str
    value: float
    unit: str
    source: ObjectiveSource
    minimize: bool = True


@dataclass(frozen=True)
class Candidate:
    """An architecture with its objectives and latency band."""

    architecture: Architecture
    objectives: Mapping[str, ObjectiveValue] = field(default_factory=dict)
    band: int | None = None

    def value(self, objective: str) -> float:
        return self.objectives[objective].value

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True)
class LlmCall:
    """One LLM call as logged: the rendered prompt, the reply and its cost."""

    model: str
    messages: tuple[Mapping[str, str], ...]
    response: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    template: str = ""
    cached: bool = False
    timestamp: str = field(default_factory=utc_now_iso)


@dataclass(frozen=True)
class RunRecord:
    """Everything about a search run: config snapshot, candidates, LLM calls, knowledge."""

    run_id: str
    config: Mapping[str, Any]
    strategy: str
    seed: int
    candidates: tuple[Candidate, ...] = ()
    llm_calls: tuple[LlmCall, ...] = ()
    knowledge_base_versions: tuple[Mapping[str, Any], ...] = ()
    status: str = "running"
    created: str = field(default_factory=utc_now_iso)


def to_plain(value: Any) -> Any:
    """A record as JSON-ready builtins (dicts, lists, str, numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Architecture):
            out["arch_id"] = value.arch_id
        return out
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value
