"""`hwnas predict train|eval|show|run`: latency/energy predictors from benchmark tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table
from hwnas.core import ConfigError

predict_app = typer.Typer(
    help="Train, evaluate and use latency/energy predictors.", no_args_is_help=True
)

ModelOption = Annotated[Path, typer.Option("--model", "-m", help="saved predictor folder")]


def _parse_options(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option takes KEY=VALUE (e.g. n_estimators=200), got {pair!r}")
        try:
            out[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.replace("-", "_")] = value
    return out


def _shape(text: str | None) -> tuple[int, int, int] | None:
    if text is None:
        return None
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise ConfigError(f"--input-shape takes C,H,W (e.g. 3,32,32), got {text!r}")
    return values  # type: ignore[return-value]


@predict_app.command("train")
def train_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to save the model in")],
    predictor: Annotated[
        str, typer.Option(help="gbdt, mlp, roofline-fit, lut-sum, fewshot, latency-power")
    ] = "gbdt",
    table: Annotated[str, typer.Option(help="table name (pi5) or measurement file")] = "pi5",
    metric: Annotated[
        str, typer.Option(help="table column to predict")
    ] = "onnx/cifar100/latency_ms",
    train_size: Annotated[
        int, typer.Option(min=2, help="measured architectures to train on")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the training sample and the model")] = 0,
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="fewshot: a column of other devices/frameworks to pretrain on (repeat); "
            "latency-power: the latency column behind the energy metric"
        ),
    ] = None,
    lut: Annotated[Path | None, typer.Option(help="lut-sum: latency table file")] = None,
    input_shape: Annotated[str | None, typer.Option(help="C,H,W (default: from the table)")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(help="predictor option KEY=VALUE (repeat), e.g. n_estimators=200"),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Train a predictor on a random sample of measured architectures and save it.

    Example: hwnas predict train --predictor gbdt --metric onnx/cifar100/latency_ms
    --train-size 1000 --out models/pi5-onnx
    """
    from hwnas.benchmarks import open_table
    from hwnas.predictors import create_predictor, measured_dataset, table_context

    data = open_table(table)
    dataset = measured_dataset(data, metric)
    train, _ = dataset.split(train_size, seed)
    context = table_context(data, metric) | {"seed": seed}
    if input_shape:
        context["input_shape"] = _shape(input_shape)
    options = _parse_options(option)
    if lut is not None:
        options["table"] = str(lut)
    model = create_predictor(predictor, **context, **options)
    if source:
        if not hasattr(model, "pretrain"):
            raise ConfigError(f"--source is for the fewshot and latency-power predictors, "
                              f"not {predictor}")
        frame = data.frame
        archs = _measured_rows(data)
        model.pretrain(archs, {s: frame.loc[archs, s].to_numpy(dtype=float) for s in source})
    model.fit(list(train.archs), train.values)
    model.save(out)
    summary = {
        "model": str(out),
        "predictor": predictor,
        "metric": metric,
        "train_size": len(train),
        "sources": list(source or []),
        "data_sha256": model.training["data_sha256"],
    }
    emit(
        summary, output_format, lambda: print_table("trained", ["field", "value"], summary.items())
    )


def _measured_rows(table: Any) -> list[str]:
    from hwnas.predictors import measured_architectures

    return measured_architectures(table)


@predict_app.command("eval")
def eval_command(
    model: ModelOption,
    table: Annotated[str, typer.Option(help="table name (pi5) or measurement file")] = "pi5",
    metric: Annotated[str | None, typer.Option(help="column (default: the model's metric)")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Test a saved model on every measured architecture it was not trained on.

    Example: hwnas predict eval --model models/pi5-onnx --format json
    """
    from hwnas.benchmarks import open_table
    from hwnas.predictors import evaluate_predictions, load_predictor, measured_dataset

    predictor = load_predictor(model)
    column = metric or predictor.metric
    dataset = measured_dataset(open_table(table), column)
    test = dataset.without(set(predictor.training.get("archs", [])))
    result = evaluate_predictions(test.values, predictor.predict(list(test.archs)), predictor.unit)
    result = {"metric": column, "predictor": predictor.name, **result}
    emit(
        result,
        output_format,
        lambda: print_table(
            f"{predictor.name} on {column}",
            ["measure", "value"],
            [(k, f"{v:.4f}" if isinstance(v, float) else v) for k, v in result.items()],
        ),
    )


@predict_app.command("show")
def show_command(model: ModelOption, output_format: FormatOption = OutputFormat.text) -> None:
    """Print a saved model's manifest (space, device, metric, features, versions, data hash)."""
    from hwnas.predictors import read_manifest

    manifest = read_manifest(model)
    rows = [
        (k, v if not isinstance(v, (dict, list)) else json.dumps(v)[:100])
        for k, v in manifest.items()
        if k != "config"
    ]
    emit(manifest, output_format, lambda: print_table(str(model), ["field", "value"], rows))


@predict_app.command("run")
def run_command(
    model: ModelOption,
    archs: Annotated[list[str], typer.Argument(help="architecture strings")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Predict the metric of architectures.

    Example: hwnas predict run -m DIR '|nor_conv_3x3~0|+|...'
    """
    from hwnas.predictors import load_predictor

    predictor = load_predictor(model)
    values = predictor.predict(archs)
    rows = [{"arch": a, predictor.metric: float(v)} for a, v in zip(archs, values, strict=True)]
    emit(
        rows,
        output_format,
        lambda: console.print(
            "\n".join(
                f"{v:.4f} {predictor.unit}  {a}" for a, v in zip(archs, values, strict=True)
            ),
            highlight=False,
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(predict_app, name="predict")
