"""`hwnas lut build|validate|show`: per-block latency tables measured on a device."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hwnas.cli._output import FormatOption, OutputFormat, emit, error_console, print_table

lut_app = typer.Typer(help="Build and check latency lookup tables.", no_args_is_help=True)


def _settings(threads: int | None, quick: bool) -> Any:
    from hwnas.profilers import ProfileSettings

    if quick:
        return ProfileSettings(
            threads=threads,
            warmup=3,
            min_repeats=10,
            max_repeats=100,
            max_seconds=2.0,
            ci_fraction=0.03,
        )
    return ProfileSettings(threads=threads)


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None

    def report(label: str, done: int, total: int) -> None:
        error_console.print(f"[{done + 1}/{total}] {label}", highlight=False)

    return report


def _shape(text: str | None) -> tuple[int, int, int] | None:
    from hwnas.cli.predict import _shape as parse

    return parse(text)


def _validate(
    table: Any,
    sample: int,
    seed: int,
    profiler: str,
    settings: Any,
    correct: bool,
    prune: bool,
    verbose: bool,
) -> Any:
    from hwnas.lut import validate_table, validated
    from hwnas.spaces import create_space

    archs = create_space(table.space).sample(sample, seed=seed)
    check = validate_table(
        table, archs, profiler, settings, prune=prune, progress=_progress(verbose)
    )
    return validated(table, check, correct=correct)


@lut_app.command("build")
def build_command(
    device: Annotated[str, typer.Option(help="device name from the catalog, e.g. host-cpu")],
    space: Annotated[str, typer.Option(help="nb201 or fbnet")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write")],
    profiler: Annotated[str, typer.Option(help="profiler name")] = "onnxruntime",
    input_shape: Annotated[str | None, typer.Option(help="C,H,W (default: the space's)")] = None,
    num_classes: Annotated[int | None, typer.Option(help="classifier outputs")] = None,
    threads: Annotated[int | None, typer.Option(help="runtime threads")] = None,
    validate: Annotated[int, typer.Option(help="networks to measure end to end (0: none)")] = 0,
    correct: Annotated[
        bool, typer.Option(help="fit a linear correction from the validation")
    ] = False,
    prune: Annotated[bool, typer.Option(help="sum live blocks only (pruned networks)")] = False,
    seed: Annotated[int, typer.Option(help="seed of the validation sample")] = 0,
    quick: Annotated[bool, typer.Option(help="fewer repeats per block (looser CI)")] = False,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Measure every distinct block once and save the table.

    Example: hwnas lut build --device host-cpu --space nb201 --out nb201-host.json --validate 10
    """
    from hwnas.lut import build_table

    settings = _settings(threads, quick)
    verbose = output_format == OutputFormat.text
    table = build_table(
        space,
        device,
        profiler,
        settings,
        _shape(input_shape),
        num_classes,
        progress=_progress(verbose),
    )
    if correct and validate < 2:
        from hwnas.core import ConfigError

        raise ConfigError("--correct needs --validate N with N >= 2 end-to-end measurements")
    if validate:
        table = _validate(table, validate, seed, profiler, settings, correct, prune, verbose)
    table.save(out)
    summary = {
        "table": str(out),
        "space": table.space,
        "device": table.device,
        "blocks": len(table.entries_ms),
        "validation": table.validation,
        "correction": None if table.correction is None else vars(table.correction),
    }
    emit(
        summary,
        output_format,
        lambda: print_table("latency table", ["field", "value"], summary.items()),
    )


@lut_app.command("validate")
def validate_command(
    table_path: Annotated[Path, typer.Argument(help="latency table JSON")],
    sample: Annotated[int, typer.Option(min=2, help="networks to measure end to end")] = 10,
    seed: Annotated[int, typer.Option(help="seed of the sample")] = 0,
    profiler: Annotated[str, typer.Option(help="profiler name")] = "onnxruntime",
    threads: Annotated[int | None, typer.Option(help="runtime threads")] = None,
    correct: Annotated[bool, typer.Option(help="fit and save a linear correction")] = False,
    prune: Annotated[bool, typer.Option(help="compare pruned networks with live blocks")] = False,
    quick: Annotated[bool, typer.Option(help="fewer repeats")] = False,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Sum of blocks vs end-to-end latency on a sample; --correct saves a fitted correction."""
    from hwnas.lut import load_table

    table = load_table(table_path)
    checked = _validate(
        table,
        sample,
        seed,
        profiler,
        _settings(threads, quick),
        correct,
        prune,
        output_format == OutputFormat.text,
    )
    if correct:
        checked.save(table_path)
    result = {
        "table": str(table_path),
        "validation": checked.validation,
        "correction": None if checked.correction is None else vars(checked.correction),
    }
    emit(
        result, output_format, lambda: print_table("validation", ["field", "value"], result.items())
    )


@lut_app.command("show")
def show_command(
    table_path: Annotated[Path, typer.Argument(help="latency table JSON")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Print a table's blocks and latencies."""
    from hwnas.lut import load_table

    table = load_table(table_path)
    data = table.to_dict()
    emit(
        data,
        output_format,
        lambda: print_table(
            f"{table.space} on {table.device} ({table.profiler})",
            ["block", "latency_ms"],
            [(k, f"{v:.4f}") for k, v in sorted(table.entries_ms.items())],
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(lut_app, name="lut")
