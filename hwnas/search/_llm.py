"""The LLM a search talks to: the embedded model (`local`) or an OpenAI-compatible endpoint.

Calls are logged in the run's own database (table `llm_calls`), which is also the cache
a resumed run replays from: an identical request is never sent twice.
"""

from __future__ import annotations

from typing import Any


class SearchLlm:
    """An LLM client bound to a run's call log, plus the local server it may own."""

    def __init__(self, client: Any, log: Any, server: Any | None = None) -> None:
        self.client = client
        self.log = log
        self.server = server

    @property
    def model_label(self) -> str:
        return str(self.client.model)

    def usage(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self.client.usage())

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.log.close()


def open_search_llm(spec: str, store: Any) -> SearchLlm:
    """`local`: start the embedded llama.cpp server; `env`: OPENAI_* settings; else a model name."""
    from hwnas.llm import LlmClient, LlmSettings, LocalLlamaServer, SqliteLlmCallLog

    log = SqliteLlmCallLog(store.path, store.run_id)
    server = None
    try:
        if spec == "local":
            server = LocalLlamaServer().start()
            client = LlmClient(server.settings(), log=log)
        else:
            model = None if spec in ("env", "openai") else spec
            client = LlmClient(LlmSettings.from_env(model=model), log=log)
    except BaseException:
        if server is not None:
            server.stop()
        log.close()
        raise
    return SearchLlm(client, log, server)
