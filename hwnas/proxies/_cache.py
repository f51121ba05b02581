"""An on-disk cache of proxy values, so a search or a benchmark never recomputes one."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from hwnas.core import DataError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS proxy_scores (
    arch_id TEXT NOT NULL,
    proxy_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    arch TEXT NOT NULL,
    value REAL NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (arch_id, proxy_key, seed)
)
"""


CACHE_ENV = "HWNAS_PROXY_CACHE"
DEFAULT_CACHE = Path("~/.cache/hwnas/proxy-scores.sqlite")


def default_cache_path() -> Path | None:
    """The score cache shared by every run on this machine: $HWNAS_PROXY_CACHE (a file, or
    `none` for no cache), else ~/.cache/hwnas/proxy-scores.sqlite."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in ("none", "off", "0"):
        return None
    return Path(value or DEFAULT_CACHE).expanduser()


class ScoreCache:
    """SQLite file keyed by (arch id, proxy + data + batch size, seed).

    The proxy key names the proxy, the data source and the batch size (`Proxy.cache_key`),
    so a value computed on other images or another batch is never returned.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._connection.execute(_SCHEMA)
            self._connection.commit()
        except sqlite3.DatabaseError as error:
            raise DataError(
                f"proxy cache {self.path} is not a usable SQLite file ({error}); delete it or "
                "pass another --cache path"
            ) from error
        self._lock = threading.Lock()

    def get(self, arch_id: str, proxy_key: str, seed: int) -> tuple[float, float] | None:
        """(value, seconds) or None."""
        with self._lock:
            row = self._connection.execute(
                "SELECT value, seconds FROM proxy_scores "
                "WHERE arch_id=? AND proxy_key=? AND seed=?",
                (arch_id, proxy_key, int(seed)),
            ).fetchone()
        return None if row is None else (float(row[0]), float(row[1]))

    def put_many(self, rows: list[tuple[str, str, int, str, float, float]]) -> None:
        """Store (arch_id, proxy_key, seed, arch, value, seconds) rows in one transaction."""
        with self._lock:
            self._connection.executemany(
                "INSERT OR REPLACE INTO proxy_scores VALUES (?, ?, ?, ?, ?, ?)", rows
            )
            self._connection.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT COUNT(*) FROM proxy_scores").fetchone()[0])

    def close(self) -> None:
        self._connection.close()
