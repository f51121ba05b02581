"""How the shared suite builds and trains each registered predictor."""

from __future__ import annotations

from typing import Any

from hwnas.predictors import create_predictor

CONTEXT = {
    "space": "nb201",
    "metric": "onnx/cifar100/latency_ms",
    "device": "raspberry-pi-5",
    "input_shape": (3, 32, 32),
    "num_classes": 100,
}

# latency-power predicts energy (its latency part learns from the same architectures'
# latency); every other predictor runs on latency.
METRICS: dict[str, str] = {"latency-power": "onnx/cifar100/energy_mj"}

# Small settings keep the suite fast; defaults are exercised by the benchmark script.
OPTIONS: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 120, "hidden": 64},
    "gbdt": {"n_estimators": 40},
    "latency-power": {"latency_options": {"n_estimators": 40}},
}


def metric_of(name: str) -> str:
    """The table column predictor `name` is trained and tested on in the suite."""
    return METRICS.get(name, CONTEXT["metric"])


def values_of(name: str, split: Any, pi5: Any) -> Any:
    """The values of `metric_of(name)` for the architectures of a latency split."""
    return pi5.frame.loc[list(split.archs), metric_of(name)].to_numpy(dtype=float)


def trained(name: str, train: Any, pi5: Any, host_table: Any) -> Any:
    """A predictor `name`, fitted on `train` (and pretrained/table-backed where it needs)."""
    options = dict(OPTIONS.get(name, {}))
    if name == "lut-sum":
        options["table"] = host_table
    model = create_predictor(name, **(CONTEXT | {"metric": metric_of(name)}), **options)
    if name == "fewshot":
        from hwnas.predictors import measured_architectures

        archs = measured_architectures(pi5)[:800]
        sources = ("litert/cifar100/latency_ms",)
        model.pretrain(archs, {s: pi5.frame.loc[archs, s].to_numpy() for s in sources})
        return model.fit(list(train.archs[:20]), train.values[:20])
    if name == "latency-power":
        archs = list(train.archs)
        model.pretrain(archs, {CONTEXT["metric"]: train.values})
        return model.fit(archs, values_of(name, train, pi5))
    return model.fit(list(train.archs), train.values)
