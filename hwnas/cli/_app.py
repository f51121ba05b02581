"""The `hwnas` Typer app. Each public module of this package adds one noun."""

from __future__ import annotations

import errno
import importlib
import os
import pkgutil
import sys

import typer

import hwnas
from hwnas.cli._output import error_console, report_interrupt
from hwnas.core import HwnasError, exit_on_sigterm

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
    """Console entry point: known errors become one line and a meaningful exit code.

    HwnasError and OSError (disk full, permission denied, ...) print one line and exit 2;
    Ctrl-C exits 130 after saying how to resume (typer turns KeyboardInterrupt into a quiet
    exit 130). Set HWNAS_DEBUG=1 to see the traceback instead. Usage errors and exit codes
    are handled by click's standalone mode.
    """
    debug = bool(os.environ.get("HWNAS_DEBUG"))
    exit_on_sigterm()  # `kill PID` runs the cleanup code: helper servers stop, runs close
    try:
        app()
    except SystemExit as exiting:
        if exiting.code == EXIT_INTERRUPTED:
            report_interrupt(INTERRUPTED_MESSAGE)
        raise
    except HwnasError as error:
        if debug:
            raise
        error_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        report_interrupt(INTERRUPTED_MESSAGE)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as error:
        if debug:
            raise
        error_console.print(f"[red]error:[/red] {os_error_line(error)}", highlight=False,
                            soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)


INTERRUPTED_MESSAGE = (
    "interrupted; finished work is saved: rerun the same command (or `hwnas search --resume "
    "RUN`) to go on where it stopped"
)


def os_error_line(error: OSError) -> str:
    """One line for an error the operating system raised, with what usually fixes it."""
    where = " ".join(f"{name}" for name in (error.filename, error.filename2) if name)
    reason = error.strerror or str(error)
    hints = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EACCES: "check the permissions or write elsewhere",
        errno.EPERM: "check the permissions or write elsewhere",
        errno.ENOENT: "check the path",
        errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
        errno.EISDIR: "the path is a folder: name a file",
        errno.EROFS: "the file system is read-only: write elsewhere",
    }
    hint = hints.get(error.errno or 0, "set HWNAS_DEBUG=1 for the traceback")
    return f"{reason}{': ' + where if where else ''}; {hint}"
