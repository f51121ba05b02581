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

# Small settings keep the suite fast; defaults are exercised by the benchmark script.
OPTIONS: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 120, "hidden": 64},
    "gbdt": {"n_estimators": 40},
}


def trained(name: str, train: Any, pi5: Any, host_table: Any) -> Any:
    """A predictor `name`, fitted on `train` (and pretrained/table-backed where it needs)."""
    options = dict(OPTIONS.get(name, {}))
    if name == "lut-sum":
        options["table"] = host_table
    model = create_predictor(name, **CONTEXT, **options)
    if name == "fewshot":
        from hwnas.predictors import measured_architectures

        archs = measured_architectures(pi5)[:800]
        sources = ("litert/cifar100/latency_ms",)
        model.pretrain(archs, {s: pi5.frame.loc[archs, s].to_numpy() for s in sources})
        return model.fit(list(train.archs[:20]), train.values[:20])
    return model.fit(list(train.archs), train.values)
