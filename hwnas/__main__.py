"""`python -m hwnas` runs the command line."""

from __future__ import annotations

from hwnas.cli import main

main()
