"""`hwnas report RUN`: plots, front CSV and a self-contained HTML page for a run."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, emit


def report_command(
    run: Annotated[str, typer.Argument(help="run id (under --dir) or run folder")],
    runs_dir: Annotated[str, typer.Option("--dir", help="folder holding run folders")] = "runs",
    out: Annotated[str | None, typer.Option(help="output folder (default: RUN/report)")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Write a run's report. Example: hwnas report 20261126-010203-coevo-abc123 --dir runs"""
    from hwnas.report import write_report

    path = write_report(run, out, runs_dir)
    files = sorted(str(p) for p in path.parent.iterdir())
    emit({"report": str(path), "files": files}, output_format,
         lambda: typer.echo(f"report: {path}"))


def register(app: typer.Typer) -> None:
    app.command("report", help="Write a run's Pareto plots, front CSV and HTML report.")(report_command)
