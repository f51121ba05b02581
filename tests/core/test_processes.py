"""Helper processes die with hwnas: stopped as a group, and on SIGTERM or SIGKILL of the
process that started them (real processes, real signals)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from hwnas.core import spawn_group, stop_group

WITH_GRANDCHILD = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"
)
# A parent that starts a helper which itself starts a grandchild, prints every
# descendant's PID and waits; cleanup runs in `finally` (SIGTERM exits through it).
PARENT = textwrap.dedent(
    """
    import json, sys, time
    import psutil
    from hwnas.core import exit_on_sigterm, spawn_group, stop_group
    exit_on_sigterm()
    helper = spawn_group([sys.executable, "-c", sys.argv[1]])
    while len(psutil.Process().children(recursive=True)) < 3:
        time.sleep(0.05)
    print(json.dumps([p.pid for p in psutil.Process().children(recursive=True)]), flush=True)
    try:
        time.sleep(600)
    finally:
        stop_group(helper, 5.0)
    """
)


def alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_gone(pids: list[int], timeout_s: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_helpers_and_their_children_die_with_the_parent(signum: int) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, WITH_GRANDCHILD],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    descendants = json.loads(parent.stdout.readline())
    assert len(descendants) == 3 and alive(descendants) == descendants
    parent.send_signal(signum)
    parent.wait(timeout=30)
    # SIGTERM: a normal exit through the cleanup code; SIGKILL: the kernel's parent-death
    # signal reaches the group leader, which takes the group down.
    assert parent.returncode == (143 if signum == signal.SIGTERM else -signal.SIGKILL)
    assert wait_gone(descendants) == []


def test_stop_group_stops_the_grandchildren_too() -> None:
    helper = spawn_group([sys.executable, "-c", WITH_GRANDCHILD])
    deadline = time.monotonic() + 30
    while len(psutil.Process(helper.pid).children(recursive=True)) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    family = [helper.pid, *(p.pid for p in psutil.Process(helper.pid).children(recursive=True))]
    stop_group(helper, 5.0)
    assert helper.returncode is not None and wait_gone(family, 5.0) == []


def test_the_helper_exit_code_is_the_commands() -> None:
    helper = spawn_group([sys.executable, "-c", "import sys; sys.exit(7)"])
    assert helper.wait(timeout=30) == 7


# The real helpers: TVM's tracker and rpc_server (each spawns a popen_worker that keeps
# its port) and the embedded llama.cpp server, started by a parent that is then SIGKILLed.
REAL_PARENT = textwrap.dedent(
    """
    import json, sys, time
    import psutil
    if sys.argv[1] == "tvm":
        from hwnas.profilers._tvm_rpc import start_server, start_tracker
        tracker = start_tracker()
        server = start_server(tracker.host, tracker.port, "orphan-test")
        while len(psutil.Process().children(recursive=True)) < 6:  # 2 x (leader, rpc, worker)
            time.sleep(0.1)
    else:
        from hwnas.llm import LocalLlamaServer
        server = LocalLlamaServer().start()
    print(json.dumps([p.pid for p in psutil.Process().children(recursive=True)]), flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("helper", ["tvm", "llm"])
def test_real_helpers_do_not_outlive_a_killed_parent(helper: str) -> None:
    module = {"tvm": "tvm", "llm": "llama_cpp"}[helper]
    import importlib.util

    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install 'hwnas[test]')")
    parent = subprocess.Popen([sys.executable, "-c", REAL_PARENT, helper],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    try:
        descendants = json.loads(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    assert len(descendants) >= 2
    assert wait_gone(descendants) == []
