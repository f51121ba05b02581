"""The on-disk run store (SQLite, WAL): everything written before it is used."""

from __future__ import annotations

from hwnas.runs._store import (
    DATABASE_NAME,
    DEFAULT_RUNS_DIR,
    SCHEMA_VERSION,
    RunStore,
    RunSummary,
    list_runs,
    new_run_id,
)

__all__ = [
    "DATABASE_NAME",
    "DEFAULT_RUNS_DIR",
    "SCHEMA_VERSION",
    "RunStore",
    "RunSummary",
    "list_runs",
    "new_run_id",
]
