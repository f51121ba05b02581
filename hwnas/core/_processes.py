"""Helper processes (a local LLM server, TVM RPC tracker and servers) that never outlive hwnas.

Each child starts in a process group of its own, is stopped as a group (its own children
too), and on Linux is told to stop when the process that started it dies, even by
SIGKILL (the parent-death signal). `exit_on_sigterm` turns SIGTERM into a normal exit so
that `finally` blocks and atexit handlers stop the children of a terminated run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

EXIT_TERMINATED = 128 + signal.SIGTERM

# A few lines of Python run as the direct child: it leads the process group, asks Linux to
# SIGTERM it when hwnas dies (prctl PR_SET_PDEATHSIG), runs the command, and on any
# termination or exit takes the whole group down with it: the command's own children
# (TVM's popen_worker, for one) would otherwise be orphaned.
_GROUP_LEADER = """
import ctypes, os, signal, subprocess, sys, time
import psutil
parent, command = int(sys.argv[1]), sys.argv[2:]
try:
    ctypes.CDLL(None).prctl(1, int(signal.SIGTERM), 0, 0, 0)
except (OSError, AttributeError):
    pass
if os.getppid() != parent:
    sys.exit(1)
def end_group(code):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        family = psutil.Process().children(recursive=True)
        os.killpg(0, signal.SIGTERM)
        _, left = psutil.wait_procs(family, timeout=2.0)
        for process in left:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
    finally:
        os._exit(code)
for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(signum, lambda signum, frame: end_group(128 + signum))
child = subprocess.Popen(command)
code = child.wait()
end_group(code if code >= 0 else 128 - code)
"""


def spawn_group(command: Sequence[str], **popen_options: Any) -> subprocess.Popen[bytes]:
    """Start `command` under a group leader that takes it, and every process it starts,
    down when stopped or when this process dies (even by SIGKILL, on Linux).

    The returned process is the leader; its exit code is the command's. The parent-death
    signal follows the thread that started it: start long-lived helpers from the main
    thread, or from a thread that lives as long as they do."""
    leader = [sys.executable, "-c", _GROUP_LEADER, str(os.getpid()), *command]
    return subprocess.Popen(leader, start_new_session=True, **popen_options)


def stop_group(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM the child's whole process group, then SIGKILL whatever is left."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process.pid, signal.SIGKILL)  # members that outlived the leader
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout_s)


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def exit_on_sigterm() -> None:
    """Make SIGTERM raise SystemExit(143) in the main thread, so cleanup code runs."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(EXIT_TERMINATED)

    signal.signal(signal.SIGTERM, handler)
