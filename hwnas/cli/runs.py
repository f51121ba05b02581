"""`hwnas runs list|show`: the runs stored on disk."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table

RunsDirOption = Annotated[str, typer.Option("--dir", help="folder holding run folders")]

runs_app = typer.Typer(help="List and show stored runs.", no_args_is_help=True)


@runs_app.command("list")
def list_command(runs_dir: RunsDirOption = "runs", output_format: FormatOption = OutputFormat.text) -> None:
    """List runs. Example: hwnas runs list --dir runs"""
    from hwnas.runs import list_runs

    runs = list_runs(runs_dir)
    emit(
        [asdict(r) for r in runs],
        output_format,
        lambda: print_table(
            f"runs in {runs_dir}", ["run", "strategy", "seed", "status", "candidates", "updated"],
            [(r.run_id, r.strategy, r.seed, r.status, r.candidates, r.updated) for r in runs],
        ) if runs else console.print(f"no runs in {runs_dir}"),
    )


@runs_app.command("show")
def show_command(
    run: Annotated[str, typer.Argument(help="run id (under --dir) or run folder")],
    runs_dir: RunsDirOption = "runs",
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Show a run's config and candidates. Example: hwnas runs show 20261126-010203-coevo-abc123"""
    from hwnas.runs import RunStore

    with RunStore.open(run, runs_dir) as store:
        summary = asdict(store.summary())
        candidates = store.candidates()
        data = summary | {
            "config": store.config,
            "candidates": [c.to_dict() for c in candidates],
            "knowledge_versions": len(store.knowledge()),
        }

    def render() -> None:
        print_table(f"run {summary['run_id']}", ["field", "value"],
                    [(k, v) for k, v in summary.items()])
        names = sorted({n for c in candidates for n in c.objectives})
        print_table("candidates", ["band", "architecture", *names],
                    [(c.band, c.architecture.string, *(f"{c.value(n):.4g}" if n in c.objectives
                                                        else "-" for n in names))
                     for c in candidates[:50]])
        if len(candidates) > 50:
            console.print(f"... {len(candidates) - 50} more (use --format json)")

    emit(data, output_format, render)


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")
