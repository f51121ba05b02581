"""Shared settings of the Jetson stand-ins (tests only: no Jetson board exists here).

Each stand-in reads STANDIN_TRT (7.1.3, 8.5.2 or 10.3.0), STANDIN_BOARD (orin or tx2)
and STANDIN_STATE (a folder the stand-ins share: `busy` while trtexec times inference,
`clocks_locked`, `hang`, `drop_once`, `calls.log`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TRT = os.environ.get("STANDIN_TRT", "10.3.0")
BOARD = os.environ.get("STANDIN_BOARD", "orin")
STATE = Path(os.environ.get("STANDIN_STATE", "/tmp/hwnas-standin-state"))
STATE.mkdir(parents=True, exist_ok=True)

# Board input rail power in mW, idle and while trtexec runs inference.
POWER_MW = {"orin": (4000.0, 9000.0), "tx2": (1900.0, 6500.0)}
# Per-query host latency in ms by precision (a small network).
LATENCY_MS = {"orin": {"fp32": 1.2, "fp16": 0.7, "int8": 0.5}, "tx2": {"fp32": 4.0, "fp16": 2.5}}


def log_call(tool: str, argv: list[str]) -> None:
    with open(STATE / "calls.log", "a", encoding="utf-8") as handle:
        handle.write(f"{time.time():.3f} {tool} {' '.join(argv)}\n")
