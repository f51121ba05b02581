"""`hwnas export`: a run's chosen architecture as a verified ONNX file (+ TensorRT / TVM)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from hwnas.cli._output import OutputFormat, console, emit, print_table


class ExportFormat(StrEnum):
    onnx = "onnx"
    text = "text"
    json = "json"


def export_command(
    run: Annotated[str, typer.Argument(help="run id (under --runs-dir) or run folder")],
    pick: Annotated[str, typer.Option(
        "--pick", help="knee | fastest | most-accurate | best:OBJECTIVE | an arch_id prefix | "
        "an architecture string; rules choose among the run's non-dominated candidates")] = "knee",
    out: Annotated[str, typer.Option("--out", help="folder for the exported files")] = "exports",
    runs_dir: Annotated[
        str, typer.Option("--runs-dir", help="folder holding run folders")] = "runs",
    weights: Annotated[str | None, typer.Option(
        "--weights", help="trained weights: a safetensors state-dict (pickles are refused); "
        "without it the file holds random weights and says `untrained`")] = None,
    input_shape: Annotated[str | None, typer.Option(
        "--input-shape", help="C,H,W (default: the run's, else the space's)")] = None,
    num_classes: Annotated[int | None, typer.Option(
        "--num-classes", help="classifier outputs (default: the run's, else the space's)")] = None,
    opset: Annotated[int, typer.Option("--opset", help="ONNX opset, 17 or newer")] = 17,
    simplify: Annotated[bool, typer.Option(
        "--simplify",
        help="simplify the graph with onnxslim (pip install 'hwnas[simplify]')")] = False,
    tensorrt: Annotated[bool, typer.Option(
        "--tensorrt", help="build a TensorRT engine here when TensorRT runs here; always print "
        "the trtexec command for the board")] = False,
    board: Annotated[str | None, typer.Option(
        "--board", help="catalog device the TensorRT engine is for (its TensorRT version and "
        "trtexec path); default: the run's device when it is a GPU")] = None,
    precision: Annotated[str, typer.Option(
        "--precision", help="TensorRT precision: fp32, fp16 or int8")] = "fp32",
    tvm: Annotated[str | None, typer.Option(
        "--tvm", help="compile a TVM library: host, aarch64, or a device with "
        "properties.tvm_target")] = None,
    tvm_database: Annotated[str | None, typer.Option(
        "--tvm-database", help="MetaSchedule tuning database folder for the TVM build")] = None,
    train: Annotated[str | None, typer.Option(
        "--train", help="train the pick on this data first (digits or a folder; see `hwnas "
        "train`) and export the trained weights")] = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, help="with --train: epochs (default: the recipe's)")] = None,
    recipe: Annotated[str | None, typer.Option(
        "--recipe", help="with --train: a TOML training recipe")] = None,
    set_values: Annotated[list[str] | None, typer.Option(
        "--set", help="with --train: recipe KEY=VALUE (repeatable)")] = None,
    train_seed: Annotated[int, typer.Option("--train-seed", help="with --train: seed")] = 0,
    train_device: Annotated[str, typer.Option(
        "--train-device", help="with --train: cpu or cuda")] = "cpu",
    train_threads: Annotated[int | None, typer.Option(
        "--train-threads", min=1, help="with --train: torch CPU threads")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="replace files an earlier export left under the same names")] = False,
    output_format: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="onnx/text: a summary for people; json: one JSON document "
        "(the model is always written as ONNX)")] = ExportFormat.onnx,
) -> None:
    """Export a run's architecture as ONNX, checked against torch (max abs error <= 1e-4).

    Files are written atomically; an existing file of the same name is refused unless
    --force.

    Example: hwnas export 20261126-010203-coevo-abc123 --pick knee --out exports --tvm host

    Example: hwnas export RUN --pick knee --train digits --epochs 30 --out exports
    """
    from hwnas.core import ConfigError
    from hwnas.export import (
        build_or_describe_engine,
        build_tvm_library,
        export_from_run,
        parse_input_shape,
    )

    if precision not in ("fp32", "fp16", "int8"):
        raise ConfigError(f"--precision {precision!r}: use fp32, fp16 or int8")
    shape = parse_input_shape(input_shape) if input_shape else None
    training = None
    if train is not None:
        if weights is not None:
            raise ConfigError("--train trains new weights; drop --weights (or --train)")
        result, training = _export_trained(run, pick, out, runs_dir, shape, num_classes, opset,
                                           simplify, train, epochs, recipe, set_values,
                                           train_seed, train_device, train_threads, force)
    elif epochs is not None or recipe is not None or set_values:
        raise ConfigError("--epochs, --recipe and --set go with --train DATA; add --train digits")
    else:
        result = export_from_run(run, pick, out, runs_dir, shape, num_classes, weights, opset,
                                 simplify, overwrite=force)
    data: dict[str, Any] = result.to_dict()
    if training is not None:
        data["training"] = training.summary()
    if tensorrt:
        target_board = board or _gpu_device(result.metadata.get("device"))
        data["tensorrt"] = build_or_describe_engine(result.onnx_path, precision, target_board,
                                                    overwrite=force)
    if tvm:
        data["tvm"] = build_tvm_library(result.onnx_path, tvm, tuning_database=tvm_database,
                                        overwrite=force)

    def render() -> None:
        meta = result.metadata
        rows = [
            ("file", result.onnx_path),
            ("arch_id", result.architecture.arch_id),
            ("picked by", f"{(result.pick or {}).get('rule')} "
                          f"(front of {(result.pick or {}).get('front_size')})"),
            ("input", f"{list(result.input_shape)}, {result.num_classes} classes"),
            ("weights", result.weights_status),
            *((("trained", f"{training.epochs} epochs on {training.data.get('name')}: val "
                f"{training.val_acc:.2f}%, test {training.test_acc:.2f}% (torch)"),)
              if training is not None else ()),
            ("check", f"max abs error {result.max_abs_error:.3g} vs torch "
                      f"(limit {result.tolerance:g})"),
        ]
        for name, value in (meta.get("objectives") or {}).items():
            rows.append((name, f"{value['value']:.4g} {value['unit']} ({value['source']})"))
        print_table("export", ["field", "value"], rows)
        console.print(f"architecture: {result.architecture.string}", markup=False,
                      highlight=False, soft_wrap=True)
        if data.get("tensorrt"):  # to_dict() holds None when not asked for
            trt = data["tensorrt"]
            if trt["built_here"]:
                console.print(f"TensorRT engine: {trt['engine_path']}")
            else:
                console.print(f"TensorRT: not built here ({trt['not_built_because']}); "
                              f"{trt['instructions']}:", markup=False, highlight=False)
                console.print(trt["trtexec_command"], markup=False, highlight=False, soft_wrap=True)
        if data.get("tvm"):
            lib = data["tvm"]
            checked = (f", runs here: max abs error {lib['max_abs_error_vs_onnxruntime']:.3g} "
                       "vs ONNX Runtime" if lib["ran_here"] else ", cross-compiled (not run here)")
            console.print(f"TVM library for {lib['target']}: {lib['path']}{checked}", markup=False,
                          highlight=False)

    emit(data, OutputFormat.json if output_format == ExportFormat.json else OutputFormat.text,
         render)


def _export_trained(run: str, pick: str, out: str, runs_dir: str, shape: Any,
                    num_classes: int | None, opset: int, simplify: bool, data: str,
                    epochs: int | None, recipe_file: str | None, set_values: list[str] | None,
                    seed: int, device: str, threads: int | None,
                    force: bool) -> tuple[Any, Any]:
    from hwnas.export import export_trained_from_run
    from hwnas.train import load_recipe, parse_overrides, resolve_device

    overrides = parse_overrides(set_values)
    if epochs is not None:
        overrides["epochs"] = epochs
    recipe = load_recipe(recipe_file, **overrides)
    resolve_device(device)
    return export_trained_from_run(run, pick, out, data, recipe, runs_dir, seed, device, threads,
                                   shape, num_classes, opset, simplify, overwrite=force)


def _gpu_device(name: Any) -> str | None:
    if not name:
        return None
    from hwnas.core import DeviceError
    from hwnas.devices import get_device

    try:
        spec = get_device(str(name))
    except DeviceError:
        return None
    return spec.name if spec.kind in ("jetson", "cuda-gpu") else None


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
