"""Shared CLI options and output: rich tables for people, one JSON document for machines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="text for people, json for one machine-readable document"),
]

console = Console()
error_console = Console(stderr=True)
_interrupt_reported: list[str] = []


def report_interrupt(message: str) -> None:
    """Say how to resume after Ctrl-C (once; the entry point then adds nothing generic)."""
    if not _interrupt_reported:
        _interrupt_reported.append(message)
        error_console.print(message, highlight=False, soft_wrap=True)


def emit(data: Any, output_format: OutputFormat, render: Callable[[], None] | None = None) -> None:
    """Print `data` as one JSON document, or call `render` (default: pretty-print)."""
    if output_format == OutputFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        sys.stdout.flush()
    elif render is not None:
        render()
    else:
        console.print(data)


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A rich table with string cells."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)


def progress_enabled() -> bool:
    """Progress bars only when stdout is a terminal."""
    return sys.stdout.isatty()


def eta_progress(label: str, *extra: Any, **options: Any) -> Any:
    """A rich progress bar: label, bar, done/total, elapsed, ETA, then `extra` columns."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), *extra, **options)
