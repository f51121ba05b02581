"""Start and stop a TVM RPC tracker and rpc_server (for tests, tools and a one-host farm).

On a real farm the tracker runs on one machine and every board runs an rpc_server that
registers with it under its device key; see docs/profilers.md for the commands. Both
TVM processes spawn a `tvm.exec.popen_worker` child that keeps the port open, so they
are stopped together with their children: each starts in a process group of its own, is
stopped as a group, and is sent SIGTERM if the process that started it dies.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hwnas.core import DeviceError, spawn_group, stop_group


@dataclass
class RpcProcess:
    """A started tracker or server: its process, address and log file (`own_log`: a
    temporary file hwnas named, removed when `stop` ends a running process; a log the
    caller named, or one of a process that died, is kept)."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: str
    own_log: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout_s: float = 10.0) -> None:
        was_running = self.process.poll() is None
        stop_process_tree(self.process.pid, timeout_s)
        stop_group(self.process, timeout_s)
        if self.own_log and was_running:  # a process that died keeps its log to read
            Path(self.log_path).unlink(missing_ok=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_listening(
    process: subprocess.Popen[bytes], host: str, port: int, log: str, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeviceError(f"TVM RPC process exited with code {process.returncode}; see {log}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    stop_process_tree(process.pid)
    raise DeviceError(
        f"TVM RPC process did not listen on {host}:{port} within {timeout_s:.0f} s; see {log}"
    )


def _spawn(
    arguments: list[str], host: str, port: int, log_path: str | None, wait: bool,
    timeout_s: float,
) -> RpcProcess:
    """Start `python -m <arguments>` on host:port; with `wait`, until it listens. Without
    a `log_path` the output goes to a new temporary file, kept if the start fails."""
    own_log = log_path is None
    if log_path is None:
        kind = arguments[0].rsplit(".", 1)[-1].replace("_", "-")
        handle_fd, log_path = tempfile.mkstemp(prefix=f"hwnas-{kind}-{port}-", suffix=".log")
        os.close(handle_fd)
    with open(log_path, "wb") as handle:
        process = spawn_group(
            [
                sys.executable,
                "-m",
                *arguments,
                "--host",
                host,
                "--port",
                str(port),
                "--port-end",
                str(port + 1),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    started = RpcProcess(process, host, port, log_path, own_log)
    if wait:
        wait_listening(started, timeout_s)
    return started


def start_tracker(
    host: str = "127.0.0.1",
    port: int | None = None,
    log_path: str | None = None,
    timeout_s: float = 60.0,
    wait: bool = True,
) -> RpcProcess:
    """`python -m tvm.exec.rpc_tracker` on exactly `host:port` (free port when None)."""
    port = port or free_port(host)
    return _spawn(["tvm.exec.rpc_tracker"], host, port, log_path, wait, timeout_s)


def start_server(
    tracker_host: str,
    tracker_port: int,
    key: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    log_path: str | None = None,
    timeout_s: float = 60.0,
    wait: bool = True,
) -> RpcProcess:
    """`python -m tvm.exec.rpc_server` registered with the tracker under `key`.

    The server retries the tracker every few seconds, so both may start at once
    (`wait=False`, then `wait_listening` each): `import tvm` takes seconds.
    """
    port = port or free_port(host)
    return _spawn(
        ["tvm.exec.rpc_server", "--tracker", f"{tracker_host}:{tracker_port}", "--key", key],
        host,
        port,
        log_path,
        wait,
        timeout_s,
    )


def wait_listening(started: RpcProcess, timeout_s: float = 60.0) -> None:
    """Block until the process listens on its port (DeviceError, and stopped, if not)."""
    _wait_listening(started.process, started.host, started.port, started.log_path, timeout_s)


def wait_for_key(tracker_host: str, tracker_port: int, key: str, timeout_s: float = 60.0) -> None:
    """Block until the tracker lists a server under `key`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if key in tracker_keys(tracker_host, tracker_port):
            return
        time.sleep(0.3)
    raise DeviceError(
        f"no rpc_server registered as {key!r} at {tracker_host}:{tracker_port} "
        f"within {timeout_s:.0f} s"
    )


def tracker_keys(tracker_host: str, tracker_port: int) -> dict[str, int]:
    """Device keys the tracker knows, with the number of free servers for each."""
    from tvm import rpc

    summary = rpc.connect_tracker(tracker_host, tracker_port).summary()
    keys: dict[str, int] = {}
    for key, info in summary.get("queue_info", {}).items():
        keys[key] = int(info.get("free", 0))
    for server in summary.get("server_info", []):
        keys.setdefault(str(server.get("key", "")).split(":")[-1], 0)
    return keys


def stop_process_tree(pid: int, timeout_s: float = 10.0) -> None:
    """Terminate `pid` and all its descendants (then kill what is left), by PID."""
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    processes = [*parent.children(recursive=True), parent]
    for process in processes:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(processes, timeout=timeout_s)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout_s)
