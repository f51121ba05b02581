"""The `hwnas` Typer app. Each public module of this package adds one noun."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

import hwnas
from hwnas.cli._output import error_console
from hwnas.core import HwnasError

app = typer.Typer(
    name="hwnas",
    help="Hardware-aware neural architecture search: profile devices, predict latency and "
    "energy, search the accuracy/latency/energy Pareto front.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_USER_ERROR = 2  # same code click uses for usage errors
EXIT_INTERRUPTED = 130


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"hwnas {hwnas.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="print the version"
    ),
) -> None:
    """hwnas: hardware-aware neural architecture search."""


def _register_nouns() -> None:
    """Import every public module of hwnas.cli; each calls `register(app)`."""
    import hwnas.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"hwnas.cli.{module.name}")
        loaded.register(app)


_register_nouns()


def main() -> None:
    """Console entry point: known errors become one line and exit code 2.

    Set HWNAS_DEBUG=1 to see the traceback instead. Usage errors and exit codes are
    handled by click's standalone mode.
    """
    try:
        app()
    except HwnasError as error:
        if os.environ.get("HWNAS_DEBUG"):
            raise
        error_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        error_console.print("interrupted; rerun the same command to resume where it stopped")
        sys.exit(EXIT_INTERRUPTED)
