"""Build a latency table on a device, and check it against end-to-end measurements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hwnas.core import Architecture, ConfigError
from hwnas.lut._blocks import Block, _overhead_block, space_blocks
from hwnas.lut._table import LatencyTable

Progress = Callable[[str, int, int], None]


def _measure_block(block: Block, device: str, profiler: Any, settings: Any) -> float:
    from hwnas.profilers import ModelSource
    from hwnas.toolchain import export_onnx, reinitialize_weights

    model = block.build()
    if any(True for _ in model.parameters()):
        reinitialize_weights(model, block.input_shape)
    data = export_onnx(model.eval(), block.input_shape)
    measurement = profiler.profile(ModelSource.from_onnx(data), device, settings)
    return float(measurement.latency_p50_ms)


def build_table(
    space: str,
    device: str,
    profiler: str | Any = "onnxruntime",
    settings: Any = None,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    keys: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> LatencyTable:
    """Measure every distinct block of `space` once on `device` (or only `keys`)."""
    from hwnas.profilers import ProfileSettings, create_profiler, host_environment
    from hwnas.spaces import create_space

    space_obj = create_space(space)
    shape = tuple(input_shape or space_obj.default_input_shape)
    classes = int(num_classes or space_obj.default_num_classes)
    blocks = space_blocks(space_obj, shape, classes)  # type: ignore[arg-type]
    if keys is not None:
        unknown = [k for k in keys if k not in blocks]
        if unknown:
            raise ConfigError(
                f"unknown block(s) {', '.join(unknown)} for {space} at {shape}; "
                f"e.g. {', '.join(list(blocks)[:3])}"
            )
        blocks = {k: blocks[k] for k in keys}
    runner = create_profiler(profiler)
    settings = settings or ProfileSettings()
    todo = [_overhead_block(shape), *blocks.values()]  # type: ignore[arg-type]
    entries: dict[str, float] = {}
    for done, block in enumerate(todo):
        if progress:
            progress(block.key, done, len(todo))
        entries[block.key] = _measure_block(block, device, runner, settings)
    return LatencyTable(
        space=space_obj.name,
        device=device,
        profiler=runner.name,
        input_shape=shape,
        num_classes=classes,
        entries_ms=entries,  # type: ignore[arg-type]
        environment={
            "host": host_environment(),
            "threads": settings.threads,
            "overhead_subtracted": True,
        },
    )


@dataclass(frozen=True)
class TableValidation:
    """Sum of blocks against end-to-end latency on a sample of networks."""

    archs: tuple[str, ...]
    sum_ms: np.ndarray
    measured_ms: np.ndarray

    @property
    def relative_error(self) -> np.ndarray:
        return self.sum_ms / self.measured_ms - 1.0

    def summary(self) -> dict[str, Any]:
        from scipy.stats import spearmanr

        error = self.relative_error
        return {
            "n": len(self.archs),
            "mean_error_pct": float(100 * error.mean()),
            "mean_abs_error_pct": float(100 * np.abs(error).mean()),
            "max_abs_error_pct": float(100 * np.abs(error).max()),
            "within_10pct": float(np.mean(np.abs(error) <= 0.10)),
            "spearman": float(spearmanr(self.sum_ms, self.measured_ms)[0])
            if len(error) > 2
            else None,
        }


def validate_table(
    table: LatencyTable,
    archs: Sequence[Architecture | str],
    profiler: str | Any = "onnxruntime",
    settings: Any = None,
    prune: bool = False,
    progress: Progress | None = None,
) -> TableValidation:
    """Measure `archs` end to end with the table's device and compare with the block sum."""
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler
    from hwnas.spaces import create_space

    space = create_space(table.space)
    runner = create_profiler(profiler)
    settings = settings or ProfileSettings()
    strings = [space.parse(a).string for a in archs]
    genes = np.array([space.genes(s) for s in strings], dtype=np.int64)
    measured = []
    for done, string in enumerate(strings):
        if progress:
            progress(string, done, len(strings))
        source = ModelSource.from_architecture(
            Architecture(space.name, string),
            input_shape=table.input_shape,
            num_classes=table.num_classes,
        )
        if prune:
            source = _pruned_source(space, string, table)
        measured.append(runner.profile(source, table.device, settings).latency_p50_ms)
    return TableValidation(
        tuple(strings), table.sum_ms(genes, prune), np.array(measured, dtype=float)
    )


def _pruned_source(space: Any, string: str, table: LatencyTable) -> Any:
    from hwnas.profilers import ModelSource
    from hwnas.toolchain import export_onnx, reinitialize_weights

    model = space.to_torch(string, table.input_shape, table.num_classes, prune=True)
    reinitialize_weights(model, table.input_shape)
    return ModelSource.from_onnx(export_onnx(model, table.input_shape))


def validated(
    table: LatencyTable, validation: TableValidation, correct: bool = False
) -> LatencyTable:
    """The table with its validation summary (and, if asked, a fitted correction)."""
    summary = validation.summary()
    out = replace(table, validation=summary)
    if correct:
        out = out.with_correction(validation.sum_ms, validation.measured_ms)
        assert out.correction is not None
        error = out.correction.apply(validation.sum_ms) / validation.measured_ms - 1.0
        # Fitted and scored on the same sample: an optimistic figure, labelled as such.
        summary["corrected_in_sample_mean_abs_error_pct"] = float(100 * np.abs(error).mean())
        summary["corrected_in_sample_within_10pct"] = float(np.mean(np.abs(error) <= 0.10))
        out = replace(out, validation=summary)
    return out
