"""The `hwnas` command line: one module per noun, each with `register(app)`."""

from __future__ import annotations


def main() -> None:
    from hwnas.cli._app import main as run

    run()


__all__ = ["main"]
