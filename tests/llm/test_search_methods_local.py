"""`spark` and `seki` against the real embedded model (llama.cpp server, Gemma 3 270M): one
SPARK step (router, refinement, rewrite: three calls) and one step of each SEKI stage (two
calls), then a resume that answers every call from the run's log."""

from __future__ import annotations

import pytest

from hwnas.runs import RunStore
from hwnas.search import SearchConfig, resume_search, run_search

OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"


@pytest.fixture()
def local_env(local_llm, monkeypatch, data_dir) -> None:
    settings = local_llm.settings()
    monkeypatch.setenv("OPENAI_BASE_URL", settings.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", settings.api_key)
    monkeypatch.setenv("HWNAS_LLM_MODEL", settings.model)
    monkeypatch.setenv("HWNAS_LLM_MODE", "json_object")
    monkeypatch.setenv("HWNAS_LLM_TIMEOUT_S", "300")


def finished(folder) -> dict:
    with RunStore.open(folder) as store:
        return [e["data"] for e in store.events() if e["kind"] == "finished"][-1]


@pytest.mark.slow
def test_one_spark_step_with_the_local_model(local_env, tmp_path) -> None:
    config = SearchConfig(OBJECTIVES, strategy="spark", budget=3, seed=7, bands=1, llm="env",
                          strategy_options={"islands": 1, "init_per_island": 2})
    result = run_search(config, tmp_path)
    assert result.evaluations == 3 and result.llm == "gemma-3-270m-q4_k_m"
    summary = finished(result.folder)
    stats = summary["llm_proposals"]
    calls = stats["llm_calls"]
    assert calls["refine"] == calls["rewrite"] == 1 and 1 <= calls["route"] <= 4
    assert summary["llm_usage"]["endpoint_calls"] == sum(calls.values())
    # the model's child was evaluated, or rejected with a kind and factor (and replaced)
    rejected = sum(v for k, v in result.rejections.items()
                   if k.startswith("llm:") and k.count(":") == 2)
    assert stats["llm_children"] == 1 == stats.get("evaluated_llm", 0) + rejected
    assert stats.get("evaluated_llm", 0) + stats.get("evaluated_mutation", 0) == 1

    again = resume_search(result.folder)
    assert again.evaluations == 3 and again.front == result.front
    replay = finished(result.folder)
    assert replay["llm_usage"]["endpoint_calls"] == 0
    assert replay["llm_usage"]["cache_hits"] == sum(calls.values())


@pytest.mark.slow
def test_one_step_of_each_seki_stage_with_the_local_model(local_env, tmp_path) -> None:
    config = SearchConfig(OBJECTIVES, strategy="seki", budget=4, seed=7, bands=1, llm="env",
                          strategy_options={"init": 2, "budget_share": 0.75, "designs": 2})
    result = run_search(config, tmp_path)
    assert result.evaluations == 4
    summary = finished(result.folder)
    stats = summary["llm_proposals"]
    assert stats["llm_calls"] == {"evolve": 1, "inspire": 1}
    assert stats["switch"]["at_evaluation"] == 3
    for stage in ("self_evolution", "knowledge_inspiration"):
        counts = stats["stages"][stage]
        assert counts["evaluated"] == 1
        rejected = sum(v for k, v in counts["rejected"].items() if k.startswith("llm:"))
        assert counts["proposed"] >= 1 or rejected >= 1  # the model's answer was counted
    assert summary["llm_usage"]["endpoint_calls"] == 2
