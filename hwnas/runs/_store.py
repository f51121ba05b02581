"""The on-disk run store: one folder per run holding a SQLite database (WAL).

Everything a run evaluates is committed here before the search uses it, so a run
killed at any point reopens with all finished work and resumes without repeating it.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hwnas.core import (
    Architecture,
    Candidate,
    Measurement,
    ObjectiveValue,
    RunRecord,
    RunStoreError,
    to_plain,
    utc_now_iso,
)

SCHEMA_VERSION = 1
DATABASE_NAME = "run.sqlite"
LOCK_NAME = "run.lock"
DEFAULT_RUNS_DIR = Path("runs")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run (
    run_id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
    strategy TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL,
    config_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, arch_id TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL, arch_string TEXT NOT NULL, band INTEGER,
    objectives_json TEXT NOT NULL, extra_json TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS measurements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, arch_id TEXT NOT NULL, device TEXT NOT NULL,
    profiler TEXT NOT NULL, measurement_json TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS knowledge (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, band INTEGER, round INTEGER NOT NULL,
    content_json TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, data_json TEXT NOT NULL,
    created TEXT NOT NULL);
"""
# Ground truth a search looked up after it finished (hwnas.search._truth); created on first
# use, so run folders written before it existed open unchanged.
_TRUTH_TABLE = """CREATE TABLE IF NOT EXISTS truth (
    arch_id TEXT NOT NULL, objective TEXT NOT NULL, value REAL, error TEXT,
    source TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (arch_id, objective))"""


def new_run_id(strategy: str) -> str:
    """A sortable, unique run id: UTC time, strategy, random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{strategy}-{secrets.token_hex(3)}"


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: `RunStore.transaction` issues BEGIN IMMEDIATE / COMMIT / ROLLBACK itself.
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _candidate_from_row(space: str, string: str, band: int | None, objectives: str) -> Candidate:
    values = {
        name: ObjectiveValue(**value) for name, value in json.loads(objectives).items()
    }
    return Candidate(Architecture(space, string), values, band)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    folder: str
    strategy: str
    seed: int
    status: str
    created: str
    updated: str
    candidates: int


class RunStore:
    """One run's database. Create with `RunStore.create`, reopen with `RunStore.open`."""

    def __init__(self, folder: Path) -> None:
        self._lock_fd: int | None = None
        self.folder = Path(folder)
        self.path = self.folder / DATABASE_NAME
        if not self.path.is_file():
            raise RunStoreError(f"{self.folder} is not a run folder (no {DATABASE_NAME} inside)")
        self._connection = _connect(self.path)
        version = self._connection.execute(
            "SELECT value FROM meta WHERE key='schema_version'"
        ).fetchone()
        if version is None or int(version[0]) != SCHEMA_VERSION:
            found = version[0] if version else "none"
            raise RunStoreError(
                f"{self.path} has run-store schema {found}, this hwnas reads {SCHEMA_VERSION}; "
                "open it with the hwnas version that wrote it"
            )
        row = self._connection.execute(
            "SELECT run_id, strategy, seed, config_json FROM run"
        ).fetchone()
        if row is None:
            raise RunStoreError(f"{self.path} holds no run record; the run folder is incomplete")
        self.run_id: str = row[0]
        self.strategy: str = row[1]
        self.seed: int = int(row[2])
        self.config: dict[str, Any] = json.loads(row[3])

    # --- lifecycle -------------------------------------------------------------------
    @classmethod
    def create(
        cls, root: str | Path, config: Mapping[str, Any], strategy: str, seed: int,
        run_id: str | None = None,
    ) -> RunStore:
        """A new run folder `root/<run_id>` with its database."""
        run_id = run_id or new_run_id(strategy)
        folder = Path(root) / run_id
        if (folder / DATABASE_NAME).exists():
            raise RunStoreError(f"run {run_id} already exists in {root}; resume it instead")
        config_json = json.dumps(to_plain(config), sort_keys=True)
        Path(root).mkdir(parents=True, exist_ok=True)
        # Built beside its final place and renamed in one step: a run folder is whole or absent.
        staging = Path(root) / f".{run_id}.creating-{secrets.token_hex(4)}"
        try:
            staging.mkdir()
            connection = _connect(staging / DATABASE_NAME)
            try:
                connection.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA.strip().split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                now = utc_now_iso()
                connection.execute(
                    "INSERT INTO run VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (run_id, now, now, strategy, int(seed), "running", config_json),
                )
                connection.execute("COMMIT")
            finally:
                connection.close()
            try:
                staging.rename(folder)
            except OSError:
                raise RunStoreError(
                    f"run {run_id} already exists in {root}; resume it instead"
                ) from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return cls(folder).lock()

    @classmethod
    def open(cls, run: str | Path, root: str | Path | None = None,
             lock: bool = False) -> RunStore:
        """A run by folder path, or by id under `root` (default ./runs).

        `lock=True` claims it for writing (see `lock`): a resume does, readers do not."""
        path = Path(run)
        for folder in (path, Path(root or DEFAULT_RUNS_DIR) / str(run)):
            if (folder / DATABASE_NAME).is_file():
                store = cls(folder)
                if lock:
                    try:
                        store.lock()
                    except RunStoreError:
                        store.close()
                        raise
                return store
        folder = Path(root or DEFAULT_RUNS_DIR) / str(run)
        raise RunStoreError(
            f"no run {str(run)!r} (looked for {path} and {folder}); "
            "`hwnas runs list` shows the runs"
        )

    def close(self) -> None:
        self._connection.close()
        self.unlock()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(self) -> RunStore:
        """Claim the run for writing; RunStoreError when another process holds it.

        The lock is an OS file lock on `run.lock`: it ends with the process, so a killed
        run leaves nothing to clean up before it is resumed."""
        if self._lock_fd is not None:
            return self
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunStoreError(
                f"run {self.run_id} is in use by another process (pid {holder}); wait for it "
                "to finish or stop it, then resume"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        return self

    def unlock(self) -> None:
        fd = self._lock_fd
        if fd is not None:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group writes so they land together or not at all (BEGIN IMMEDIATE ... COMMIT)."""
        connection = self._connection
        if connection.in_transaction:  # nested: the outer transaction decides
            yield connection
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _touch(self, connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE run SET updated=?", (utc_now_iso(),))

    # --- run status ------------------------------------------------------------------
    @property
    def status(self) -> str:
        return str(self._connection.execute("SELECT status FROM run").fetchone()[0])

    def set_status(self, status: str) -> None:
        with self.transaction() as connection:
            connection.execute("UPDATE run SET status=?", (status,))
            self._touch(connection)

    # --- candidates ------------------------------------------------------------------
    def add_candidate(self, candidate: Candidate, extra: Mapping[str, Any] | None = None) -> bool:
        """Commit an evaluated candidate; False (nothing written) when already stored."""
        return self.add_candidate_with_measurements(candidate, extra)

    def add_candidate_with_measurements(
        self, candidate: Candidate, extra: Mapping[str, Any] | None = None,
        measurements: list[Measurement] | tuple[Measurement, ...] = (),
    ) -> bool:
        """Commit a candidate and the measurements behind it in one transaction.

        False (nothing written) when the candidate is already stored.
        """
        arch = candidate.architecture
        objectives = {name: to_plain(value) for name, value in candidate.objectives.items()}
        with self.transaction() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO candidates (arch_id, space, arch_string, band, "
                "objectives_json, extra_json, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (arch.arch_id, arch.space, arch.string, candidate.band,
                 json.dumps(objectives, sort_keys=True), json.dumps(to_plain(extra or {})),
                 utc_now_iso()),
            )
            if cursor.rowcount == 1:
                for measurement in measurements:
                    self._insert_measurement(connection, measurement)
            self._touch(connection)
            return cursor.rowcount == 1

    def has_candidate(self, arch: Architecture | str) -> bool:
        arch_id = arch.arch_id if isinstance(arch, Architecture) else arch
        return self._connection.execute(
            "SELECT 1 FROM candidates WHERE arch_id=?", (arch_id,)
        ).fetchone() is not None

    def candidates(self) -> list[Candidate]:
        """Every stored candidate, in the order it was evaluated."""
        rows = self._connection.execute(
            "SELECT space, arch_string, band, objectives_json FROM candidates ORDER BY seq"
        ).fetchall()
        return [_candidate_from_row(*row) for row in rows]

    def candidate_extras(self) -> list[dict[str, Any]]:
        rows = self._connection.execute("SELECT extra_json FROM candidates ORDER BY seq")
        return [json.loads(row[0]) for row in rows]

    def count_candidates(self) -> int:
        return int(self._connection.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])

    # --- measurements ----------------------------------------------------------------
    def add_measurement(self, measurement: Measurement) -> None:
        with self.transaction() as connection:
            self._insert_measurement(connection, measurement)
            self._touch(connection)

    @staticmethod
    def _insert_measurement(connection: sqlite3.Connection, measurement: Measurement) -> None:
        connection.execute(
            "INSERT INTO measurements (arch_id, device, profiler, measurement_json, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (measurement.arch_id, measurement.device, measurement.profiler,
             json.dumps(measurement.to_dict(), sort_keys=True), utc_now_iso()),
        )

    def measurements(self) -> list[Measurement]:
        rows = self._connection.execute("SELECT measurement_json FROM measurements ORDER BY seq")
        return [Measurement(**json.loads(row[0])) for row in rows]

    # --- knowledge bases and events --------------------------------------------------
    def add_knowledge(self, band: int | None, round_index: int, content: Mapping[str, Any]) -> None:
        """Store one version of a band's knowledge base."""
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO knowledge (band, round, content_json, created) VALUES (?, ?, ?, ?)",
                (band, round_index, json.dumps(to_plain(content), sort_keys=True), utc_now_iso()),
            )
            self._touch(connection)

    def knowledge(self) -> list[dict[str, Any]]:
        rows = self._connection.execute(
            "SELECT band, round, content_json, created FROM knowledge ORDER BY seq"
        )
        return [
            {"band": band, "round": round_index, "content": json.loads(content), "created": created}
            for band, round_index, content, created in rows
        ]

    def log_event(self, kind: str, data: Mapping[str, Any]) -> None:
        """Append a strategy event (round boundaries, rejections, state for resume)."""
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO events (kind, data_json, created) VALUES (?, ?, ?)",
                (kind, json.dumps(to_plain(data), sort_keys=True), utc_now_iso()),
            )

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT kind, data_json, created FROM events"
        args: tuple[str, ...] = ()
        if kind is not None:
            query += " WHERE kind=?"
            args = (kind,)
        rows = self._connection.execute(query + " ORDER BY seq", args)
        return [{"kind": k, "data": json.loads(d), "created": c} for k, d, c in rows]

    # --- ground truth (written after a search; never read by it) ---------------------
    def add_truth(self, rows: list[tuple[str, str, float | None, str | None, str]]) -> None:
        """Store (arch_id, objective, value or None, error or None, source) truth rows."""
        now = utc_now_iso()
        with self.transaction() as connection:
            connection.execute(_TRUTH_TABLE)
            connection.executemany(
                "INSERT OR REPLACE INTO truth (arch_id, objective, value, error, source, "
                "created) VALUES (?, ?, ?, ?, ?, ?)", [(*row, now) for row in rows])
            self._touch(connection)

    def truth(self) -> dict[tuple[str, str], tuple[float | None, str | None]]:
        """(arch_id, objective) -> (value, error) of every stored truth value."""
        exists = self._connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='truth'").fetchone()
        if not exists:
            return {}
        rows = self._connection.execute("SELECT arch_id, objective, value, error FROM truth")
        return {(a, o): (v, e) for a, o, v, e in rows}

    # --- whole-run views -------------------------------------------------------------
    def summary(self) -> RunSummary:
        created, updated, status = self._connection.execute(
            "SELECT created, updated, status FROM run"
        ).fetchone()
        return RunSummary(self.run_id, str(self.folder), self.strategy, self.seed, status,
                          created, updated, self.count_candidates())

    def record(self) -> RunRecord:
        """The whole run as a RunRecord (LLM calls live in the LLM layer's table)."""
        created, status = self._connection.execute("SELECT created, status FROM run").fetchone()
        return RunRecord(
            run_id=self.run_id, config=self.config, strategy=self.strategy, seed=self.seed,
            candidates=tuple(self.candidates()),
            knowledge_base_versions=tuple(self.knowledge()), status=status, created=created,
        )

    def integrity_ok(self) -> bool:
        return self._connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def list_runs(root: str | Path | None = None) -> list[RunSummary]:
    """Every run folder under `root` (default ./runs), oldest first."""
    folder = Path(root or DEFAULT_RUNS_DIR)
    if not folder.is_dir():
        return []
    out = []
    for child in sorted(folder.iterdir()):
        if not child.name.startswith(".") and (child / DATABASE_NAME).is_file():
            try:
                with RunStore(child) as store:
                    out.append(store.summary())
            except RunStoreError:
                continue
    return out
