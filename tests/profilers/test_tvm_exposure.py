"""TVM RPC has no authentication: nothing hwnas prints or documents tells a user to bind
its tracker or servers to every interface (0.0.0.0, also TVM's default when --host is
missing); the docs say to bind a LAN address behind a firewall or use SSH tunnels."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a command line that starts a tracker or server on every interface, or without --host
RPC_COMMAND = re.compile(r"tvm\.exec\.rpc_(tracker|server)\b[^`\n\"]*")


def _texts() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "tools").glob("*.py")), *sorted((ROOT / "hwnas").rglob("*.py"))]


def test_no_rpc_command_binds_every_interface() -> None:
    offenders = []
    for path in _texts():
        for match in RPC_COMMAND.finditer(path.read_text()):
            command = match.group(0)
            if "--" not in command:  # a module name in prose, not a command line
                continue
            if "0.0.0.0" in command or "--host" not in command:  # TVM's default is 0.0.0.0
                offenders.append(f"{path.relative_to(ROOT)}: {command}")
    assert not offenders, "\n".join(offenders)
    assert len(_texts()) > 50  # the scan saw the package


def test_the_docs_say_how_to_expose_rpc_safely() -> None:
    text = (ROOT / "docs" / "profilers.md").read_text()
    assert "no authentication" in text and "firewall" in text
    assert "ssh -N -L 9190:127.0.0.1:9190 -R" in text and "--custom-addr 127.0.0.1" in text
