"""Trained exports: train a run's pick, then export it with its weights.

`export_trained_from_run` trains the architecture a pick rule chooses (`hwnas.train`,
into `OUT/<space>-<arch_id>.train/`, resumable), copies the weights beside the ONNX
file (`OUT/<space>-<arch_id>.safetensors`, what `hwnas deploy-check --data` loads for
torch's accuracy) and writes the ONNX file with a `training` metadata entry: the data,
the resolved recipe, the split, the normalisation and the accuracies torch reached.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError
from hwnas.export._export import ExportResult, export_from_run, pick_from_run
from hwnas.export._metadata import refuse_existing
from hwnas.toolchain import DEFAULT_OPSET, DEFAULT_TOLERANCE


def training_metadata(result: Any) -> dict[str, Any]:
    """What an ONNX file records about the training of its weights."""
    data = dict(result.data)
    return {
        "data": data.get("name"), "data_description": data.get("description"),
        "num_classes": result.num_classes, "input_shape": list(result.input_shape),
        "mean": data.get("mean"), "std": data.get("std"), "split": data.get("split"),
        "recipe": dict(result.recipe), "epochs": result.epochs, "seed": result.seed,
        "device": result.device, "val_acc": result.val_acc, "test_acc": result.test_acc,
        "seconds": result.seconds, "layout": result.layout,
    }


def export_trained_from_run(
    run: str | Path,
    pick: str,
    out_dir: str | Path,
    data: str,
    recipe: Any = None,
    runs_dir: str | Path | None = None,
    seed: int = 0,
    device: str | None = None,
    threads: int | None = None,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    opset: int = DEFAULT_OPSET,
    simplify: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    progress: Callable[[int, int, str], None] | None = None,
    overwrite: bool = True,
) -> tuple[ExportResult, Any]:
    """Train the pick on `data` and export it with the trained weights: (export, training).

    `overwrite=False` refuses an existing ONNX or weights file before any training."""
    from hwnas.train import train_architecture

    chosen, _, _ = pick_from_run(run, pick, runs_dir)
    arch = chosen.candidate.architecture
    folder = Path(out_dir).expanduser()
    for name in (f"{arch.space}-{arch.arch_id}.onnx", f"{arch.space}-{arch.arch_id}.safetensors"):
        refuse_existing(folder / name, overwrite)
    trained = train_architecture(arch, folder / f"{arch.space}-{arch.arch_id}.train", data,
                                 recipe, seed, device, threads, progress)
    if input_shape is not None and tuple(input_shape) != tuple(trained.input_shape):
        raise ConfigError(
            f"--input-shape {','.join(map(str, input_shape))} differs from the trained input "
            f"{','.join(map(str, trained.input_shape))}; drop --input-shape, or set "
            "input_size in the recipe")
    if num_classes is not None and int(num_classes) != trained.num_classes:
        raise ConfigError(f"--num-classes {num_classes} differs from the {trained.num_classes} "
                          "classes of the training data; drop --num-classes")
    weights = folder / f"{arch.space}-{arch.arch_id}.safetensors"
    partial = weights.with_name(weights.name + ".partial")
    shutil.copyfile(trained.weights, partial)
    partial.replace(weights)
    result = export_from_run(
        run, pick, folder, runs_dir, trained.input_shape, trained.num_classes, weights, opset,
        simplify, tolerance, metadata={"training": training_metadata(trained)},
        overwrite=overwrite,
    )
    return result, trained
