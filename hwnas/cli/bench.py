"""`hwnas bench show`: read a benchmark table, validate it, summarise it."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table

bench_app = typer.Typer(help="Read and validate benchmark tables.", no_args_is_help=True)


@bench_app.command("show")
def show_command(
    path: Annotated[str, typer.Argument(help="a table file, or a name: nb201-accuracy, pi5")],
    hwnasbench: Annotated[bool, typer.Option(
        "--hwnasbench",
        help="PATH is the published HW-NAS-Bench file. It is a Python pickle: only pass a "
        "file you trust; hwnas reads it with an unpickler that refuses anything but plain "
        "containers and numbers.",
    )] = False,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Summarise a table and report what its validation found.

    Examples: hwnas bench show pi5; hwnas bench show measurements.csv --format json;
    hwnas bench show --hwnasbench HW-NAS-Bench-v1_0.pickle
    """
    from hwnas.benchmarks import open_table, read_hwnasbench

    table = read_hwnasbench(path) if hwnasbench else open_table(path)
    summary = table.summary()

    def render() -> None:
        metrics = summary["metrics"]
        assert isinstance(metrics, dict)
        print_table(
            f"{table.name}: {len(table)} architectures ({table.space})",
            ["metric", "unit", "valid", "min", "median", "max"],
            [(m, v["unit"], v["valid"], f"{v['min']:.4g}" if v["min"] is not None else "-",
              f"{v['median']:.4g}" if v["median"] is not None else "-",
              f"{v['max']:.4g}" if v["max"] is not None else "-") for m, v in metrics.items()],
        )
        if table.validation.problems:
            console.print("[yellow]validation:[/yellow]")
            for problem in table.validation.problems:
                console.print(f"  - {problem}", highlight=False)
        else:
            console.print("validation: no problems found")

    emit(summary, output_format, render)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
