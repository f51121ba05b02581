"""Every LLM call, kept: the log that also answers repeated calls (the cache)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hwnas.core import LlmCall, RunStoreError, utc_now_iso

CallStatus = Literal["ok", "rejected", "error"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def request_key(
    model: str,
    messages: Sequence[Mapping[str, str]],
    params: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
) -> str:
    """SHA-256 of the canonical request: model, messages, parameters (seed included), schema.

    The endpoint's structured-output mode is left out: it changes how the schema is sent,
    not what is asked.
    """
    request = {
        "model": model,
        "messages": [dict(m) for m in messages],
        "params": dict(params),
        "schema": schema,
    }
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


@dataclass(frozen=True)
class LlmCallRecord:
    """One logged call with everything needed to audit or replay it (never the key)."""

    run_id: str
    request_key: str
    model: str
    base_url: str
    messages: tuple[Mapping[str, str], ...]
    params: Mapping[str, Any]
    status: CallStatus
    template: str = ""
    mode: str = ""
    schema: Mapping[str, Any] | None = None
    response: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    reason: str = ""
    cached: bool = False
    attempts: int = 0
    timestamp: str = field(default_factory=utc_now_iso)

    def to_llm_call(self) -> LlmCall:
        """The record in the shape the run record keeps (`hwnas.core.LlmCall`)."""
        return LlmCall(
            model=self.model,
            messages=tuple(self.messages),
            response=self.response or "",
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            latency_s=self.latency_s,
            template=self.template,
            cached=self.cached,
            timestamp=self.timestamp,
        )


class LlmCallLog(ABC):
    """Where calls are written; a logged reply answers an identical later request."""

    @abstractmethod
    def record(self, call: LlmCallRecord) -> None:
        """Append one call (errors and cache hits too)."""

    @abstractmethod
    def lookup(self, key: str) -> LlmCallRecord | None:
        """The first call with this request key that got a reply from the endpoint, or None."""

    @abstractmethod
    def calls(self, run_id: str | None = None) -> list[LlmCallRecord]:
        """Every logged call, in order; only those of `run_id` when given."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT NOT NULL,
    template TEXT NOT NULL,
    mode TEXT NOT NULL,
    messages_json TEXT NOT NULL,
    params_json TEXT NOT NULL,
    schema_json TEXT,
    response TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_s REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    cached INTEGER NOT NULL,
    attempts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_calls_request_key ON llm_calls (request_key);
CREATE INDEX IF NOT EXISTS llm_calls_run_id ON llm_calls (run_id);
"""
_COLUMNS = (
    "run_id", "request_key", "timestamp", "model", "base_url", "template", "mode",
    "messages_json", "params_json", "schema_json", "response", "finish_reason",
    "prompt_tokens", "completion_tokens", "latency_s", "status", "reason", "cached", "attempts",
)


class SqliteLlmCallLog(LlmCallLog):
    """The call log as table `llm_calls` in an SQLite file (the run store's file, or its own).

    `run_id` tags the calls written through this log; lookups search every run in the
    file, so a rerun with the same seed is answered from an earlier run's calls.
    """

    def __init__(self, path: str | Path, run_id: str = "default") -> None:
        self.path = str(path)
        self.run_id = run_id
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            with self._connection:
                self._connection.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise RunStoreError(
                f"cannot open the LLM call log {self.path!r}: {error}; check the path is a "
                "writable SQLite file"
            ) from None

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> SqliteLlmCallLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(self, call: LlmCallRecord) -> None:
        row = (
            call.run_id or self.run_id, call.request_key, call.timestamp, call.model,
            call.base_url, call.template, call.mode, canonical_json(list(call.messages)),
            canonical_json(call.params),
            None if call.schema is None else canonical_json(call.schema),
            call.response, call.finish_reason, call.prompt_tokens, call.completion_tokens,
            call.latency_s, call.status, call.reason, int(call.cached), call.attempts,
        )
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self._lock, self._connection:
            self._connection.execute(
                f"INSERT INTO llm_calls ({', '.join(_COLUMNS)}) VALUES ({placeholders})", row
            )

    def lookup(self, key: str) -> LlmCallRecord | None:
        with self._lock:
            row = self._connection.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM llm_calls WHERE request_key = ? "
                "AND cached = 0 AND status != 'error' AND response IS NOT NULL "
                "ORDER BY id LIMIT 1",
                (key,),
            ).fetchone()
        return None if row is None else _from_row(row)

    def calls(self, run_id: str | None = None) -> list[LlmCallRecord]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM llm_calls"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            query += " WHERE run_id = ?"
            args = (run_id,)
        with self._lock:
            rows = self._connection.execute(query + " ORDER BY id", args).fetchall()
        return [_from_row(row) for row in rows]


def _from_row(row: Sequence[Any]) -> LlmCallRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    return LlmCallRecord(
        run_id=values["run_id"],
        request_key=values["request_key"],
        model=values["model"],
        base_url=values["base_url"],
        messages=tuple(json.loads(values["messages_json"])),
        params=json.loads(values["params_json"]),
        status=values["status"],
        template=values["template"],
        mode=values["mode"],
        schema=None if values["schema_json"] is None else json.loads(values["schema_json"]),
        response=values["response"],
        finish_reason=values["finish_reason"],
        prompt_tokens=values["prompt_tokens"],
        completion_tokens=values["completion_tokens"],
        latency_s=values["latency_s"],
        reason=values["reason"],
        cached=bool(values["cached"]),
        attempts=values["attempts"],
        timestamp=values["timestamp"],
    )
