"""Where third-party benchmark data lives: read in place, never copied."""

from __future__ import annotations

import os
from pathlib import Path

from hwnas.core import DataError

DATA_ENV = "HWNAS_DATA"


def find_data_dir(required: bool = True) -> Path | None:
    """The benchmark data folder: $HWNAS_DATA, else `../shared/data` beside the project.

    Looks next to the current directory and next to the installed source tree, so both
    `hwnas` run from the project root and the tests find the shared data in place.
    """
    if os.environ.get(DATA_ENV):
        path = Path(os.environ[DATA_ENV]).expanduser()
        if path.is_dir():
            return path
        if required:
            raise DataError(f"${DATA_ENV} points at {path}, which is not a folder")
        return None
    candidates = [Path.cwd() / "../shared/data", Path(__file__).resolve().parents[2] / "../shared/data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    if required:
        raise DataError(
            "benchmark data not found: set HWNAS_DATA to the folder holding nb201/accuracy.csv "
            "or pass the file path explicitly"
        )
    return None
