"""A real OpenSSH server on 127.0.0.1 playing a Jetson board, with stand-in Jetson tools.

The server is Debian's `openssh-server` (`/usr/sbin/sshd`), started as a non-daemon
child with its own host key, one authorised test key, a free high port and
`PidFile none`, and stopped by PID. The board's tools (trtexec, tegrastats, nvpmodel,
jetson_clocks) cannot exist here: STAND-INS from `tests/jetson/standins/` are put on
the server side through the device's `properties.tool_dir`.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

STANDINS = Path(__file__).parent / "standins"
SSHD = Path("/usr/sbin/sshd")
TRT_VERSIONS = ("7.1.3", "8.5.2", "10.3.0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    client_key: Path
    host_key_pub: Path
    known_hosts: Path
    root: Path

    def access(self, **overrides: object) -> dict[str, object]:
        access: dict[str, object] = {
            "method": "ssh", "host": "127.0.0.1", "port": self.port, "user": self.user,
            "key_file": str(self.client_key), "known_hosts_file": str(self.known_hosts),
            "timeout_s": 60.0,
        }
        access.update(overrides)
        return access


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory):
    """Debian's sshd on 127.0.0.1:<free port>, stopped by PID at the end of the session."""
    if not SSHD.exists() or shutil.which("ssh") is None:
        message = "openssh-server/openssh-client not installed (apt-get install -y openssh-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("sshd")
    _keygen(root / "host_key")
    _keygen(root / "client_key")
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    port = _free_port()
    user = getpass.getuser()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\nPidFile none\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n"
        "MaxStartups 50\nMaxSessions 50\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    log = open(root / "sshd.log", "wb")  # noqa: SIM115  (closed at teardown)
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    known = root / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {(root / 'host_key.pub').read_text()}")
    server = SshServer(port, user, root / "client_key", root / "host_key.pub", known, root)
    deadline = time.time() + 15
    while True:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"sshd exited: {(root / 'sshd.log').read_text()[-500:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.time() > deadline:
                process.kill()
                pytest.fail("sshd did not start listening within 15 s")
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass(frozen=True)
class Board:
    """A stand-in Jetson behind the loopback sshd: its tool folder, state folder, catalog."""

    name: str
    trt: str
    family: str
    tool_dir: Path
    state: Path
    remote_tmp: Path
    catalog: Path

    def calls(self, tool: str) -> list[str]:
        log = self.state / "calls.log"
        if not log.exists():
            return []
        return [line for line in log.read_text().splitlines() if f" {tool} " in line + " "]

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.remote_tmp.iterdir())


def write_tools(tool_dir: Path, trt: str, board: str, state: Path) -> None:
    tool_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("trtexec", "tegrastats", "nvpmodel", "jetson_clocks"):
        script = tool_dir / tool
        script.write_text(
            "#!/bin/sh\n# STAND-IN for the Jetson tool of the same name (tests only)\n"
            f"export STANDIN_TRT={trt} STANDIN_BOARD={board} STANDIN_STATE={state}\n"
            f"exec {sys.executable} {STANDINS / (tool + '.py')} \"$@\"\n"
        )
        script.chmod(0o755)


@pytest.fixture
def make_board(ssh_server: SshServer, tmp_path: Path):
    """Build a stand-in board (TensorRT version, board family) and a catalog naming it."""

    def make(trt: str = "10.3.0", family: str = "orin", name: str | None = None,
             access: dict[str, object] | None = None, properties: dict[str, object] | None = None,
             locked: bool = True) -> Board:
        name = name or f"loop-{family}-trt{trt.split('.')[0]}"
        base = tmp_path / name
        state, tools, remote_tmp = base / "state", base / "tools", base / "board-tmp"
        for folder in (state, remote_tmp):
            folder.mkdir(parents=True, exist_ok=True)
        write_tools(tools, trt, family, state)
        if locked:
            (state / "clocks_locked").touch()
        props = {"board_rail": "VDD_IN", "tool_dir": str(tools), "remote_tmp_dir": str(remote_tmp)}
        props.update(properties or {})
        entry = dict(ssh_server.access(**(access or {})))
        catalog = base / "devices.toml"
        catalog.write_text(
            f"[devices.{name}]\nkind = \"jetson\"\nfamily = \"jetson-loopback\"\n"
            f"description = \"stand-in Jetson ({family}, TensorRT {trt}) behind a loopback sshd\"\n"
            "default_profiler = \"tensorrt\"\n"
            f"access = {_toml_inline(entry)}\nproperties = {_toml_inline(props)}\n"
        )
        return Board(name, trt, family, tools, state, remote_tmp, catalog)

    return make


def _toml_inline(values: dict[str, object]) -> str:
    def one(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{ " + ", ".join(f"{k} = {one(v)}" for k, v in values.items()) + " }"


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real ONNX model (a NAS-Bench-201 cell network) to copy to the board."""
    from hwnas.profilers import ModelSource

    arch = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
    source = ModelSource.from_architecture(arch, space="nb201", input_shape=(3, 8, 8),
                                           num_classes=5)
    path = tmp_path_factory.mktemp("model") / "m.onnx"
    path.write_bytes(source.onnx_bytes(1))
    return path
