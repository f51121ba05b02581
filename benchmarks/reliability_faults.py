"""Injected faults for benchmarks/reliability.py: each must fail only its own measurement or
call, and the batch or run around it must finish.

- a TVM RPC server killed mid-measurement: a real tracker and rpc_server on 127.0.0.1
  (hwnas.profilers start_tracker/start_server); the server is killed while the profiler
  holds a session on it, then a fresh one registers under the same key;
- an SSH link dropped: Debian's sshd on 127.0.0.1 with the STAND-IN Jetson tools of
  tests/jetson (their `drop_always` state file makes the stand-in trtexec kill its own sshd
  session, a real dropped TCP link for the client), during one measurement of a batch;
- an LLM endpoint that hangs: the STAND-IN endpoint of tests/llm (a real HTTP server on
  127.0.0.1) sleeps through one call of a coevo search and answers the others.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NB201 = ["|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|",
         "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
         "|skip_connect~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|none~2|",
         "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"]


def _first_line(text: str) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return (lines[0] if lines else "")[:240]


# --- TVM RPC ---------------------------------------------------------------------------------
def tvm_server_killed(seed: int) -> dict[str, Any]:
    """Four models through profile_many on an RPC board; the server dies during the second."""
    if importlib.util.find_spec("tvm") is None:
        return {"skipped": "apache-tvm is not installed"}
    import psutil

    from hwnas.core import DeviceAccess
    from hwnas.devices import get_device
    from hwnas.profilers import ModelSource, ProfileSettings, profile_many, start_server
    from hwnas.profilers import start_tracker as tracker_start
    from hwnas.profilers._tvm_rpc import wait_for_key, wait_listening

    rng = random.Random(seed)
    key = f"reliability-{os.getpid()}"
    tracker = tracker_start("127.0.0.1", wait=False)
    servers = [start_server("127.0.0.1", tracker.port, key, wait=False)]
    events: list[str] = []
    killed = threading.Event()
    try:
        wait_listening(tracker)
        wait_listening(servers[0])
        wait_for_key("127.0.0.1", tracker.port, key, timeout_s=120)
        access = DeviceAccess(method="tvm-rpc", tracker_host="127.0.0.1",
                              tracker_port=tracker.port, rpc_key=key, timeout_s=60)
        device = dataclasses.replace(get_device("host-cpu"), name="rpc-board", access=access)
        models = [ModelSource.from_architecture(a, "nb201", input_shape=(3, 16, 16),
                                                num_classes=10) for a in NB201]

        def kill_when_in_session() -> None:
            server = servers[-1]
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not killed.is_set():
                sessions = []
                try:
                    leader = psutil.Process(server.pid)
                    for process in (leader, *leader.children(recursive=True)):
                        sessions += [c for c in process.net_connections()
                                     if c.status == psutil.CONN_ESTABLISHED
                                     and c.laddr and c.laddr.port == server.port]
                except psutil.Error:
                    pass
                if sessions:
                    time.sleep(rng.uniform(0.0, 0.2))
                    killed.set()
                    events.append("rpc_server killed during a session")
                    server.stop()
                    return
                time.sleep(0.01)

        def progress(done: int, total: int) -> None:
            if done == 1 and not killed.is_set():
                threading.Thread(target=kill_when_in_session, daemon=True).start()

        def notice(kind: str, message: str) -> None:
            if kind != "failed":
                return
            events.append(f"failed: {_first_line(message)}")
            if killed.is_set() and len(servers) == 1:  # bring a board back for the rest
                servers.append(start_server("127.0.0.1", tracker.port, key, wait=False))
                wait_listening(servers[-1])
                wait_for_key("127.0.0.1", tracker.port, key, timeout_s=120)
                events.append("a fresh rpc_server registered")

        started = time.monotonic()
        settings = ProfileSettings(warmup=2, min_repeats=5, max_repeats=15, timeout_s=60)
        report = profile_many(models, device, profiler="tvm", settings=settings,
                              progress=progress, notice=notice)
        return {"measurements": len(models), "measured": len(report.measurements),
                "failed": len(report.failures), "server_killed": killed.is_set(),
                "batch_finished": True,
                "failed_only_its_own": killed.is_set() and len(report.failures) == 1
                and len(report.measurements) == len(models) - 1,
                "error": _first_line(report.failures[0]) if report.failures else None,
                "events": events, "seconds": round(time.monotonic() - started, 1)}
    finally:
        for server in servers:
            server.stop()
        tracker.stop()


# --- SSH ---------------------------------------------------------------------------------------
def _jetson_helpers() -> Any:
    spec = importlib.util.spec_from_file_location(
        "jetson_standin_fixtures", ROOT / "tests" / "jetson" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def ssh_link_dropped(work: Path) -> dict[str, Any]:
    """Three ONNX models through profile_many on a stand-in Jetson behind a loopback sshd;
    the link drops (twice: the profiler retries once) during the second measurement."""
    helpers = _jetson_helpers()
    if not helpers.SSHD.exists() or shutil.which("ssh") is None:
        return {"skipped": "openssh-server/openssh-client not installed"}
    from hwnas.devices import get_device
    from hwnas.profilers import ModelSource, ProfileSettings, create_profiler, profile_many

    root = work / "sshd"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    helpers._keygen(root / "host_key")
    helpers._keygen(root / "client_key")
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\nPidFile none\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n"
        "MaxStartups 50\nMaxSessions 50\n")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {(root / 'host_key.pub').read_text()}")
    log = open(root / "sshd.log", "wb")  # noqa: SIM115  (closed below)
    sshd = subprocess.Popen([str(helpers.SSHD), "-D", "-e", "-f", str(root / "sshd_config")],
                            stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or sshd.poll() is not None:
                    return {"skipped": "sshd did not start"}
                time.sleep(0.1)
        import getpass

        state, tools, remote_tmp = root / "state", root / "tools", root / "board-tmp"
        for folder in (state, remote_tmp):
            folder.mkdir()
        helpers.write_tools(tools, "10.3.0", "orin", state)
        (state / "clocks_locked").touch()
        access = {"method": "ssh", "host": "127.0.0.1", "port": port,
                  "user": getpass.getuser(), "key_file": str(root / "client_key"),
                  "known_hosts_file": str(root / "known_hosts"), "timeout_s": 60.0}
        props = {"board_rail": "VDD_IN", "tool_dir": str(tools), "remote_tmp_dir": str(remote_tmp)}
        catalog = root / "devices.toml"
        catalog.write_text(
            "[devices.loop-orin]\nkind = \"jetson\"\nfamily = \"jetson-loopback\"\n"
            "description = \"stand-in Jetson behind a loopback sshd\"\n"
            "default_profiler = \"tensorrt\"\n"
            f"access = {helpers._toml_inline(access)}\n"
            f"properties = {helpers._toml_inline(props)}\n")
        device = get_device("loop-orin", catalog)
        models = []
        for index, arch in enumerate(NB201[:3]):
            path = root / f"m{index}.onnx"
            path.write_bytes(ModelSource.from_architecture(
                arch, "nb201", input_shape=(3, 8, 8), num_classes=5).onnx_bytes(1))
            models.append(str(path))
        events: list[str] = []

        def progress(done: int, total: int) -> None:
            if done == 1:
                (state / "drop_always").touch()  # the stand-in kills its sshd session
                events.append("link drops from now on")

        def notice(kind: str, message: str) -> None:
            if kind == "failed":
                (state / "drop_always").unlink(missing_ok=True)
                events.append(f"failed: {_first_line(message)}; the link holds again")

        started = time.monotonic()
        profiler = create_profiler("tensorrt", duration_s=1, idle_s=0.5, warmup_ms=100,
                                   energy=False)
        report = profile_many(models, device, profiler=profiler,
                              settings=ProfileSettings(precision="fp16"), progress=progress,
                              notice=notice)
        return {"measurements": len(models), "measured": len(report.measurements),
                "failed": len(report.failures), "batch_finished": True,
                "failed_only_its_own": len(report.failures) == 1
                and len(report.measurements) == len(models) - 1,
                "error": _first_line(report.failures[0]) if report.failures else None,
                "leftovers_on_board": sorted(p.name for p in remote_tmp.iterdir()),
                "events": events, "seconds": round(time.monotonic() - started, 1)}
    finally:
        sshd.terminate()
        try:
            sshd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sshd.kill()
            sshd.wait()
        log.close()


# --- LLM endpoint ----------------------------------------------------------------------------
def llm_endpoint_hangs(work: Path, seed: int) -> dict[str, Any]:
    """A coevo search whose LLM is the stand-in endpoint; its first call hangs (every
    attempt sleeps past the client's timeout), the others get schema-valid answers."""
    sys.path.insert(0, str(ROOT / "tests" / "llm"))
    from standin_endpoint import MisbehavingEndpoint, Scripted

    from hwnas.llm import LlmClient, LlmSettings, SqliteLlmCallLog
    from hwnas.runs import RunStore
    from hwnas.search import SearchConfig, run_search
    from hwnas.search._llm import SearchLlm
    from hwnas.spaces import create_space

    rng = random.Random(seed)
    archs = [a.string for a in create_space("nb201").sample(200, seed=seed)]

    def answer(body: dict[str, Any]) -> Scripted:
        import json

        schema = (body.get("response_format") or {}).get("schema") or {}
        key, spec = next(iter(schema.get("properties", {"candidates": {}}).items()))
        count = min(3, int(spec.get("maxItems", 3)))
        if key == "candidates":
            items = [{"changed": "one edge", "why": "a cheaper cell",
                      "architecture": rng.choice(archs)} for _ in range(count)]
        else:
            item = {"rule": "prefer nor_conv_3x3 on the last edge", "evidence": "the elites"}
            if "bands" in spec.get("items", {}).get("properties", {}):
                item["bands"] = [0]
            items = [item]
        return Scripted(json.dumps({key: items}))

    endpoint = MisbehavingEndpoint().start()
    endpoint.responder = answer
    timeout_s, retries = 1.5, 1
    endpoint.push(*[Scripted(delay_s=20.0)] * (retries + 1))  # every attempt of call 1 hangs
    folder = work / "llm-hang"
    shutil.rmtree(folder, ignore_errors=True)
    log = SqliteLlmCallLog(folder / "calls.sqlite", "hang")
    client = LlmClient(LlmSettings(base_url=endpoint.base_url, api_key=endpoint.api_key,
                                   model=endpoint.model, mode="json_object", timeout_s=timeout_s,
                                   max_retries=retries, backoff_s=0.1), log=log)
    llm = SearchLlm(client, log)
    try:
        started = time.monotonic()
        config = SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx",
                              strategy="coevo", budget=16, seed=seed, bands=1,
                              strategy_options={"llm_proposals": 3})
        result = run_search(config, folder / "runs", llm=llm)
        calls = log.calls()
        with RunStore.open(result.folder) as store:
            status = store.status
        errors = [c for c in calls if c.status == "error"]
        ok = [c for c in calls if c.status == "ok"]
        return {"budget": config.budget, "evaluations": result.evaluations,
                "run_status": status, "run_finished": status == "finished",
                "llm_calls": len(calls), "calls_ok": len(ok), "calls_failed": len(errors),
                "failed_only_its_own": len(errors) == 1 and len(ok) >= 1,
                "error": _first_line(errors[0].reason) if errors else None,
                "client_timeout_s": timeout_s, "attempts_per_call": retries + 1,
                "endpoint_requests": len(endpoint.chat_requests),
                "seconds": round(time.monotonic() - started, 1)}
    finally:
        llm.close()
        endpoint.stop()
