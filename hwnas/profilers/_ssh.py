"""Remote commands over the system OpenSSH client, with host keys checked.

Every call runs `ssh` with `BatchMode=yes` (never a password prompt),
`StrictHostKeyChecking=yes` (an unknown or changed host key is an error, never
accepted silently), the catalog's known-hosts file, a connect timeout and keep-alives.
Each remote step has a deadline on both ends: the remote command runs under
`timeout` on the board, and the local `ssh` process is killed a little later. A
connection that drops mid-step is retried once; everything else fails at once with a
one-line error that says how to fix it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hwnas.core import ConfigError, DeviceAccess, DeviceError

# Grace between the remote `timeout` and killing the local ssh client.
_LOCAL_GRACE_S = 10.0
_DROPPED = re.compile(
    r"closed by remote host|Connection reset|Broken pipe|Timeout, server .* not responding"
    r"|Connection closed by|client_loop: send disconnect|packet_write_wait",
    re.IGNORECASE,
)
_UNREACHABLE = re.compile(
    r"Connection refused|No route to host|Network is unreachable|Could not resolve hostname"
    r"|Name or service not known|Connection timed out|Operation timed out"
    r"|Temporary failure in name resolution",
    re.IGNORECASE,
)


class RemoteError(DeviceError):
    """A remote step failed (the command, not the connection)."""


class HostKeyError(DeviceError):
    """The board's host key is unknown or does not match the known-hosts file."""


class UnreachableError(DeviceError):
    """The board cannot be reached (refused, no route, name not resolved, no answer)."""


class AuthenticationError(DeviceError):
    """The board refused the key."""


class RemoteTimeoutError(DeviceError):
    """A remote step did not finish within its deadline."""


class ConnectionDroppedError(DeviceError):
    """The connection dropped during a step, twice in a row."""


_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f@]")  # never in a host or user name


@dataclass(frozen=True)
class SshResult:
    returncode: int
    stdout: bytes
    stderr: str
    attempts: int


@dataclass(frozen=True)
class SshTarget:
    """Where and how to reach a board; built from a DeviceAccess with `from_access`."""

    host: str
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    known_hosts_file: str = "~/.ssh/known_hosts"
    connect_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        # ssh reads a destination or user that starts with "-" as an option
        # (`-oProxyCommand=...` runs a local command): refuse them before any ssh runs.
        for field_name, value in (("host", self.host), ("user", self.user)):
            if value is None and field_name == "user":
                continue
            if not value or value.startswith("-") or _UNSAFE.search(value):
                raise ConfigError(
                    f"access.{field_name} {value!r} is not a valid SSH {field_name}: it must be "
                    "non-empty, must not start with '-' and must not contain spaces, control "
                    f"characters or '@'; fix access.{field_name} in your device catalog"
                )

    @classmethod
    def from_access(cls, access: DeviceAccess, device: str) -> SshTarget:
        if access.method != "ssh":
            raise ConfigError(f"device {device!r} is reached over {access.method}, not ssh")
        if not access.host:
            raise ConfigError(
                f"device {device!r} has no SSH host: add access.host (and user, key_file) to "
                f"its entry in your catalog (--catalog PATH or $HWNAS_CATALOG), e.g. "
                f"[devices.{device}] access = {{ method = \"ssh\", host = \"10.0.0.5\", "
                f"user = \"nvidia\", key_file = \"~/.ssh/id_ed25519\" }}"
            )
        if access.key_file and not Path(access.key_file).expanduser().is_file():
            raise ConfigError(
                f"device {device!r}: key_file {access.key_file} does not exist; create one with "
                f"`ssh-keygen -t ed25519 -f {access.key_file}` and copy it to the board with "
                f"`ssh-copy-id -i {access.key_file} {access.user or 'USER'}@{access.host}`"
            )
        return cls(
            host=access.host,
            port=int(access.port or 22),
            user=access.user,
            key_file=access.key_file,
            known_hosts_file=access.known_hosts_file or "~/.ssh/known_hosts",
            connect_timeout_s=min(30.0, max(1.0, float(access.timeout_s))),
        )

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def label(self) -> str:
        return f"{self.address}:{self.port}"

    def _known_hosts(self) -> str:
        return str(Path(self.known_hosts_file).expanduser())

    def ssh_command(self, remote_command: str) -> list[str]:
        """The full `ssh` argument list for one remote command."""
        ssh = shutil.which("ssh")
        if ssh is None:
            raise DeviceError(
                "the OpenSSH client (`ssh`) is not installed on this host: install it "
                "(Debian/Ubuntu: `apt-get install openssh-client`)"
            )
        command = [
            ssh, "-T", "-p", str(self.port),
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self._known_hosts()}",
            "-o", f"ConnectTimeout={int(round(self.connect_timeout_s))}",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
        ]
        if self.key_file:
            command += ["-i", str(Path(self.key_file).expanduser()), "-o", "IdentitiesOnly=yes"]
        return [*command, "--", self.address, remote_command]

    # --- running ----------------------------------------------------------------
    def run(
        self,
        argv: list[str] | str,
        timeout_s: float,
        step: str,
        stdin: bytes | None = None,
        check: bool = True,
        retry: bool = True,
    ) -> SshResult:
        """Run `argv` on the board under `timeout`; retry once if the connection drops.

        `argv` is a list of words (quoted here) or a ready shell string. A nonzero exit
        of the remote command raises RemoteError when `check` is true.
        """
        if timeout_s <= 0:
            raise ConfigError(f"timeout for {step} must be positive, got {timeout_s}")
        words = argv if isinstance(argv, str) else shlex.join(argv)
        remote_s = max(1, int(round(timeout_s)))
        remote = f"timeout -k 5 {remote_s} sh -c {shlex.quote(words)}"
        attempts = 0
        while True:
            attempts += 1
            try:
                done = subprocess.run(
                    self.ssh_command(remote),
                    input=stdin if stdin is not None else b"",
                    capture_output=True,
                    timeout=remote_s + self.connect_timeout_s + _LOCAL_GRACE_S,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise RemoteTimeoutError(
                    f"{step} on {self.label} did not finish within {remote_s} s (no answer "
                    "from the board); check it is not hung, or raise access.timeout_s in the "
                    "device's catalog entry (or ProfileSettings.timeout_s)"
                ) from None
            stderr = done.stderr.decode("utf-8", "replace")
            if done.returncode == 255:
                self._raise_connection_error(stderr, step)
                if retry and attempts == 1:
                    time.sleep(1.0)
                    continue
                raise ConnectionDroppedError(
                    f"{step} on {self.label}: the SSH connection dropped twice "
                    f"({_first_line(stderr) or 'no message'}); check the board's network and power"
                )
            if done.returncode in (124, 137) and check:
                raise RemoteTimeoutError(
                    f"{step} on {self.label} did not finish within {remote_s} s and was "
                    "stopped on the board; raise access.timeout_s in the device's catalog "
                    "entry (or ProfileSettings.timeout_s) if the step is just slow"
                )
            if done.returncode != 0 and check:
                tail = " | ".join(
                    line for line in (stderr.strip().splitlines() + _tail(done.stdout))[-4:] if line
                )
                raise RemoteError(
                    f"{step} on {self.label} failed with exit code {done.returncode}: "
                    f"{tail or 'no output'}"
                )
            return SshResult(done.returncode, done.stdout, stderr, attempts)

    def _raise_connection_error(self, stderr: str, step: str) -> None:
        """Map ssh's own failures to typed errors; return when it looks like a dropped link."""
        known = self._known_hosts()
        if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr or "Host key for" in stderr \
                and "has changed" in stderr:
            raise HostKeyError(
                f"the host key of {self.host} port {self.port} does not match the one in "
                f"{known}: the board was reinstalled or someone is intercepting the "
                f"connection; if you trust the change, run `ssh-keygen -R '[{self.host}]:"
                f"{self.port}' -f {known}` and then `ssh-keyscan -p {self.port} {self.host} "
                f">> {known}` after checking the fingerprint on the board"
            )
        if "Host key verification failed" in stderr or "host key is known" in stderr:
            raise HostKeyError(
                f"the host key of {self.host} port {self.port} is not in {known} (hwnas never "
                f"accepts unknown keys); check the board's fingerprint, then add it with "
                f"`ssh-keyscan -p {self.port} {self.host} >> {known}`"
            )
        if "Permission denied" in stderr:
            raise AuthenticationError(
                f"{self.label} refused the login ({_first_line(stderr)}); check access.user "
                f"and access.key_file in the catalog, and that the public key is in "
                f"~{self.user or ''}/.ssh/authorized_keys on the board "
                f"(`ssh-copy-id -i {self.key_file or 'KEY'} {self.address}`)"
            )
        if _UNREACHABLE.search(stderr) and not _DROPPED.search(stderr):
            raise UnreachableError(
                f"cannot reach {self.host} port {self.port} for {step}: "
                f"{_matching_line(stderr)}; check the board is on the network "
                "and sshd runs on it, and access.host/access.port in the catalog"
            )
        if stderr.strip() and not _DROPPED.search(stderr):
            raise RemoteError(f"ssh to {self.label} failed for {step}: {_first_line(stderr)}")

    def write_file(self, path: str, data: bytes, timeout_s: float, step: str) -> None:
        """Write `data` to `path` on the board (through ssh's stdin; no sftp needed)."""
        self.run(f"cat > {shlex.quote(path)}", timeout_s, step, stdin=data)

    def read_file(self, path: str, timeout_s: float, step: str) -> bytes:
        return self.run(["cat", path], timeout_s, step).stdout


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _matching_line(text: str) -> str:
    for line in text.splitlines():
        if _UNREACHABLE.search(line):
            return line.strip()
    return _first_line(text)


def _tail(stdout: bytes) -> list[str]:
    return stdout.decode("utf-8", "replace").strip().splitlines()[-2:]
