"""The generic measurement CSV: one row per measurement, appended and flushed as measured.

Columns are `MEASUREMENT_COLUMNS` (extra columns in an existing file are kept empty);
`hwnas.benchmarks.read_measurement_table` reads the file back as a Table. A row is
written with a single `write` of a complete line and flushed, so a killed run leaves
whole rows only. An existing file is never cut or rewritten: its header is checked first
(a wrong one is a one-line error, the file untouched); a last line without its newline
(a hand-edited file, or a row torn by power loss) is kept and closed with a newline (and
a quote, if one was left open); rows with missing cells are kept but not counted as
measured, so their architectures are measured again.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, Measurement

MEASUREMENT_COLUMNS = (
    "arch",
    "arch_id",
    "space",
    "device",
    "profiler",
    "batch_size",
    "precision",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_mean_ms",
    "latency_std_ms",
    "latency_cv",
    "energy_mj",
    "repeats",
    "noisy",
    "timestamp",
    "environment",
)
KEY_COLUMNS = ("arch_id", "device", "profiler", "batch_size", "precision")


def measurement_row(measurement: Measurement, space: str = "") -> dict[str, str]:
    """A Measurement as the CSV's string cells."""
    m = measurement
    values: dict[str, Any] = {
        "arch": m.arch_string,
        "arch_id": m.arch_id,
        "space": space if m.arch_string else "",
        "device": m.device,
        "profiler": m.profiler,
        "batch_size": m.batch_size,
        "precision": m.precision,
        "latency_p50_ms": f"{m.latency_p50_ms:.6g}",
        "latency_p90_ms": f"{m.latency_p90_ms:.6g}",
        "latency_mean_ms": f"{m.latency_mean_ms:.6g}",
        "latency_std_ms": f"{m.latency_std_ms:.6g}",
        "latency_cv": f"{m.latency_cv:.6g}",
        "energy_mj": "" if m.energy_mj is None else f"{m.energy_mj:.6g}",
        "repeats": m.repeats,
        "noisy": str(bool(m.noisy)).lower(),
        "timestamp": m.timestamp,
        "environment": json.dumps(m.environment, sort_keys=True, default=str),
    }
    return {k: str(v) for k, v in values.items()}


def row_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row.get(c, "")) for c in KEY_COLUMNS)


class MeasurementWriter:
    """Append rows to a measurement CSV and know which keys it already holds."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.columns: tuple[str, ...] = MEASUREMENT_COLUMNS
        self.rows: list[dict[str, str]] = []
        self.incomplete_rows = 0  # torn or short rows found in an existing file (kept)
        if self.path.is_file() and self.path.stat().st_size > 0:
            self._load()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append_line(self._line(self.columns))
        self.keys = {row_key(r) for r in self.rows}

    def _load(self) -> None:
        """Read an existing table; check its header before anything touches the file."""
        data = self.path.read_bytes()
        try:
            text = data.decode("utf-8")
            header = tuple(next(csv.reader(io.StringIO(text.split("\n", 1)[0])), []))
        except (UnicodeDecodeError, csv.Error) as error:
            raise ConfigError(
                f"{self.path} is not a measurement table ({error}); pass a new file to --out"
            ) from None
        missing = [c for c in (*KEY_COLUMNS, "latency_p50_ms") if c not in header]
        if missing:
            raise ConfigError(
                f"{self.path} is not a measurement table (missing {', '.join(missing)}); "
                "pass a new file to --out"
            )
        torn_quote = False
        if not text.endswith("\n"):
            # the last line is either a whole row without its newline (an edited file) or
            # a row torn by a crash inside a write; both are kept: close it, never cut it
            torn_quote = text[text.rfind("\n") + 1:].count('"') % 2 == 1
            closing = '"\n' if torn_quote else "\n"
            self._append_line(closing)
            text += closing
        self.columns = header
        try:
            rows = list(csv.reader(io.StringIO(text)))[1:]
        except csv.Error as error:
            raise ConfigError(f"{self.path} does not parse as CSV ({error}); pass a new file to "
                              "--out") from None
        for number, cells in enumerate(rows, start=1):
            if (torn_quote and number == len(rows)) or not self._complete(header, cells):
                self.incomplete_rows += 1  # kept in the file, not counted as measured
                continue
            self.rows.append(dict(zip(header, cells, strict=True)))

    @staticmethod
    def _complete(header: tuple[str, ...], cells: list[str]) -> bool:
        """All cells there, the key cells filled, the environment (if any) whole JSON."""
        if len(cells) != len(header) or not all(cells[header.index(c)] for c in KEY_COLUMNS):
            return False
        if "environment" in header and cells[header.index("environment")]:
            try:
                json.loads(cells[header.index("environment")])
            except ValueError:
                return False
        return True

    def _line(self, cells: Iterable[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(list(cells))
        return buffer.getvalue()

    def _append_line(self, line: str) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def append(self, row: dict[str, str]) -> None:
        """Write one complete row (flushed to disk) and remember its key."""
        self._append_line(self._line(row.get(c, "") for c in self.columns))
        self.rows.append(row)
        self.keys.add(row_key(row))
