"""Deploy check: measure an exported model on a device and compare with the run's figure.

The prediction is the latency (and energy) objective the run recorded for the exported
architecture: from the run itself when given (`run=`), else from the model's hwnas
metadata. The error is `(measured - predicted) / predicted` in percent, per metric,
with the median latency (p50) as the measured latency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, Measurement, to_plain
from hwnas.export._metadata import ModelFileError, read_metadata

_LATENCY_UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001}
_ENERGY_UNITS = {"mJ": 1.0, "J": 1000.0, "uJ": 0.001}


@dataclass(frozen=True)
class MetricComparison:
    """One metric: what the run said, what the device measured, and the error."""

    objective: str
    metric: str  # latency_ms | energy_mj
    predicted: float
    measured: float | None
    source: str  # where the predicted value came from: table, predicted, measured, ...
    error_percent: float | None


@dataclass(frozen=True)
class DeployReport:
    """A deploy check's result."""

    model_path: str
    arch_id: str
    arch_string: str
    device: str
    profiler: str
    predicted_for_device: str | None
    prediction_from: str  # run | metadata
    comparisons: tuple[MetricComparison, ...]
    measurement: Measurement
    notes: tuple[str, ...] = field(default_factory=tuple)
    accuracy: dict[str, Any] | None = None  # --data: test accuracy, ONNX Runtime vs torch

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def _metric_of(name: str, unit: str) -> tuple[str, float] | None:
    if unit in _ENERGY_UNITS or "energy" in name.lower():
        return ("energy_mj", _ENERGY_UNITS.get(unit, 1.0))
    if unit in _LATENCY_UNITS or "latency" in name.lower():
        return ("latency_ms", _LATENCY_UNITS.get(unit, 1.0))
    return None


def _predictions_from_run(run: str | Path, runs_dir: str | Path | None, arch_id: str,
                          arch_string: str) -> tuple[dict[str, Any], str | None]:
    from hwnas.export._export import objectives_metadata, run_settings
    from hwnas.runs import RunStore

    with RunStore.open(run, runs_dir) as store:
        device = run_settings(store.config)["device"]
        for candidate in store.candidates():
            if candidate.architecture.arch_id == arch_id or (
                    arch_string and candidate.architecture.string == arch_string):
                return objectives_metadata(candidate), (str(device) if device else None)
        run_id = store.run_id
    raise ConfigError(
        f"run {run_id} has no candidate {arch_id}; pass the run the model was exported from"
    )


def deploy_check(
    model_path: str | Path,
    device: str,
    profiler: str | None = None,
    run: str | Path | None = None,
    runs_dir: str | Path | None = None,
    settings: Any = None,
    data: str | None = None,
) -> DeployReport:
    """Profile the exported file on `device` and compare with the run's prediction; with
    `data`, also its test accuracy through ONNX Runtime next to torch's."""
    from hwnas.devices import get_device
    from hwnas.profilers import ProfileSettings, create_profiler

    path = Path(model_path).expanduser()
    metadata = read_metadata(path)
    if not metadata.get("arch_id"):
        raise ModelFileError(
            f"{path} carries no hwnas metadata (hwnas.arch_id); export it with `hwnas export`"
        )
    arch_id = str(metadata["arch_id"])
    arch_string = str(metadata.get("arch_string", ""))
    notes = []
    if run is not None:
        objectives, predicted_device = _predictions_from_run(run, runs_dir, arch_id, arch_string)
        prediction_from = "run"
    else:
        objectives = metadata.get("objectives") or {}
        predicted_device = metadata.get("device")
        prediction_from = "metadata"
    wanted: list[tuple[str, str, float, str]] = []
    for name, value in objectives.items():
        metric = _metric_of(name, str(value.get("unit", "")))
        if metric is not None:
            wanted.append((name, metric[0], float(value["value"]) * metric[1],
                           str(value.get("source", ""))))
    if not wanted and data is None:
        raise ConfigError(
            f"the {prediction_from} records no latency or energy objective for {arch_id} "
            f"(objectives: {', '.join(objectives) or 'none'}); nothing to compare with: "
            "pass --run RUN for a run that has one"
        )
    spec = get_device(device)
    accuracy = None
    if data is not None:
        from hwnas.export._accuracy import model_accuracy

        accuracy, accuracy_notes = model_accuracy(path, metadata, data)
        notes.extend(accuracy_notes)
    if predicted_device and predicted_device != spec.name:
        notes.append(
            f"the run predicted for device {predicted_device}, this check measured {spec.name}: "
            "the error compares two devices"
        )
    chosen = create_profiler(profiler or spec.default_profiler)
    measurement = chosen.profile(path, spec, settings or ProfileSettings())
    comparisons = []
    for name, metric, predicted, source in wanted:
        measured = measurement.latency_p50_ms if metric == "latency_ms" else measurement.energy_mj
        error = None
        if measured is not None and predicted != 0:
            error = 100.0 * (measured - predicted) / predicted
        comparisons.append(MetricComparison(name, metric, predicted, measured, source, error))
        if measured is None:
            notes.append(f"{chosen.name} measures no {metric} on {spec.name}; {name} not compared")
    if measurement.noisy:
        notes.append("the measurement never settled (noisy): rerun on a quieter machine")
    if metadata.get("weights_status") == "untrained" and data is None:
        notes.append("the model holds untrained weights: fine for latency, not for accuracy")
    return DeployReport(
        model_path=str(path), arch_id=arch_id, arch_string=arch_string, device=spec.name,
        profiler=chosen.name, predicted_for_device=predicted_device,
        prediction_from=prediction_from, comparisons=tuple(comparisons),
        measurement=measurement, notes=tuple(notes), accuracy=accuracy,
    )


def comparison_rows(report: DeployReport) -> list[tuple[str, ...]]:
    """Table rows for people: objective, metric, predicted, measured, error %."""
    rows = []
    for c in report.comparisons:
        rows.append((
            c.objective, c.metric, f"{c.predicted:.4g}",
            "-" if c.measured is None else f"{c.measured:.4g}",
            "-" if c.error_percent is None else f"{c.error_percent:+.1f}%", c.source,
        ))
    return rows

