"""`train.sqlite`: one row per finished epoch (loss, accuracy, learning rate, seconds)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import DataError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS epochs (
    epoch INTEGER PRIMARY KEY,
    train_loss REAL NOT NULL,
    train_acc REAL NOT NULL,
    val_loss REAL NOT NULL,
    val_acc REAL NOT NULL,
    learning_rate REAL NOT NULL,
    seconds REAL NOT NULL
)
"""


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch; accuracies in percent, the learning rate at its last step."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    learning_rate: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class EpochLog:
    """The epoch table of a training folder. A resumed run rewrites the epochs it redoes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._connection = sqlite3.connect(self.path, timeout=30)
            self._connection.execute(_SCHEMA)
            self._connection.commit()
        except sqlite3.DatabaseError as error:
            raise DataError(f"{self.path} is not a usable SQLite file ({error}); delete it") \
                from None

    def write(self, record: EpochRecord) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record.epoch, record.train_loss, record.train_acc, record.val_loss, record.val_acc,
             record.learning_rate, record.seconds))
        self._connection.commit()

    def truncate(self, epochs: int) -> None:
        """Forget epochs after `epochs` (their work was lost with the process)."""
        self._connection.execute("DELETE FROM epochs WHERE epoch > ?", (int(epochs),))
        self._connection.commit()

    def records(self) -> list[EpochRecord]:
        rows = self._connection.execute("SELECT * FROM epochs ORDER BY epoch").fetchall()
        return [EpochRecord(int(r[0]), *(float(v) for v in r[1:])) for r in rows]

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> EpochLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
