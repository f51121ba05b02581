"""`spark`, `seki` and `coevo`'s scope check against the stand-in endpoint (scripted_methods):
out-of-scope edits, infeasible cells, broken strings, copies and refused replies reach every
rejection path, before any evaluation is spent, and SEKI's stages switch."""

from __future__ import annotations

import pytest
from scripted_methods import SPACE, ScriptedMethods

from hwnas.runs import RunStore
from hwnas.search import SearchConfig, SearchContext, create_executor, run_search
from hwnas.search._llm import open_search_llm

OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"


@pytest.fixture()
def scripted(standin, monkeypatch, data_dir) -> ScriptedMethods:
    """The stand-in as the run's LLM (`--llm env`), answering from a ScriptedMethods plan."""
    methods = ScriptedMethods()
    standin.responder = methods
    monkeypatch.setenv("OPENAI_BASE_URL", standin.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", standin.api_key)
    monkeypatch.setenv("HWNAS_LLM_MODEL", standin.model)
    monkeypatch.setenv("HWNAS_LLM_MODE", "json_object")
    return methods


def finished(result) -> dict:
    with RunStore.open(result.folder) as store:
        return [e["data"] for e in store.events() if e["kind"] == "finished"][-1]


def stored_strings(result) -> set[str]:
    with RunStore.open(result.folder) as store:
        return {c.architecture.string for c in store.candidates()}


def open_context(tmp_path, config: SearchConfig) -> SearchContext:
    store = RunStore.create(tmp_path, {"search": config.to_dict()}, config.strategy, config.seed)
    return SearchContext(config, store, create_executor("local"), open_search_llm("env", store))


def test_an_out_of_scope_rewrite_is_rejected_before_any_evaluation(scripted, tmp_path):
    from hwnas.search._spark import Spark

    config = SearchConfig(OBJECTIVES, strategy="spark", budget=10, seed=3, bands=1, llm="env")
    context = open_context(tmp_path, config)
    try:
        spark = Spark(islands=1, init_per_island=2, llm_fallback=False)
        spark.start(context)
        starts = spark.propose(context, 2)[:2]
        spark.observe(context, context.evaluate(starts))
        assert context.evaluations == 2 and context.store.count_candidates() == 2
        scripted.plan("route", "operator").plan("rewrite", "scope")

        assert spark.propose(context, 1) == []  # the one child was out of scope

        (answer, child), = scripted.sent
        assert answer == "scope"  # the rewrite changed the wiring of one of the starts
        assert any(SPACE.changed_factors(s.arch, child) == {"action"} for s in starts)
        assert context.rejections == {"llm:scope:operator": 1}
        assert spark.llm_stats["by_factor"]["operator"]["rejected"] == {"llm:scope": 1}
        assert context.evaluations == 2 and context.store.count_candidates() == 2
        assert child not in {c.architecture.string for c in context.store.candidates()}
    finally:
        context.llm.close()
        context.store.close()


def test_spark_counts_every_rejection_by_kind_and_factor(scripted, tmp_path):
    # one island, one step per evaluation; the plan walks each rejection path once
    scripted.plan("route", "operator", "not-json", "action", "operator", "action", "operator",
                  "not-json", "not-json")
    scripted.plan("rewrite", "scope", "infeasible", "grammar", "unchanged", "ok", "ok")
    config = SearchConfig(OBJECTIVES, strategy="spark", budget=8, seed=5, bands=1, llm="env",
                          strategy_options={"islands": 1, "init_per_island": 2,
                                            "router_retries": 1})
    result = run_search(config, tmp_path)
    assert result.evaluations == 8 and result.llm == "standin-model"
    rejections = result.rejections
    for key in ("llm:scope:operator", "llm:infeasible:action", "llm:grammar:operator",
                "llm:unchanged:action", "llm:router"):
        assert rejections.get(key) == 1, (key, rejections)
    stats = finished(result)["llm_proposals"]
    assert stats["mode"] == "llm" and stats["router_rejected_replies"] == 3
    assert stats["routed_by_llm"] == 5 and stats["routed_by_rule"] == 1
    assert stats["llm_calls"] == {"route": 8, "refine": 6, "rewrite": 6}
    assert stats["by_factor"]["action"]["rejected"] == {"llm:infeasible": 1, "llm:unchanged": 1}
    assert stats["fallbacks"] >= 4  # each rejected child was replaced by a scoped mutation
    # infeasible and broken cells are never evaluated (an out-of-scope child may be, later,
    # as an in-scope edit of its own factor; the test above pins the scope check itself)
    refused = {child for kind, child in scripted.sent if kind in ("infeasible", "grammar")}
    assert len(refused) == 2 and not refused & stored_strings(result)


def test_seki_switches_stage_and_counts_each_stages_proposals(scripted, tmp_path):
    scripted.plan("evolve", "unchanged", "infeasible", "ok")
    scripted.plan("inspire", "mixed", "ok")
    config = SearchConfig(OBJECTIVES, strategy="seki", budget=10, seed=2, bands=1, llm="env",
                          strategy_options={"init": 2, "budget_share": 0.5, "designs": 4})
    result = run_search(config, tmp_path)
    assert result.evaluations == 10
    stats = finished(result)["llm_proposals"]
    assert stats["switch"] == {"at_evaluation": 5, "reason": "budget share 0.5 reached",
                               "rule": "budget"}
    evolve, inspire = stats["stages"]["self_evolution"], stats["stages"]["knowledge_inspiration"]
    assert evolve["evaluated"] == 3 and inspire["evaluated"] == 5
    assert evolve["rejected"]["llm:unchanged"] == 1 and evolve["rejected"]["llm:infeasible"] == 1
    assert inspire["rejected"]["llm:grammar"] >= 1 and inspire["rejected"]["llm:duplicate"] >= 2
    assert result.rejections["llm:evolve:unchanged"] == 1
    assert result.rejections["llm:inspire:grammar"] >= 1
    assert stats["llm_calls"]["evolve"] == 3 and stats["llm_calls"]["inspire"] >= 1
    assert stats["patterns"] == ["convolutions on the direct edge 3<-0"]
    refused = {child for kind, child in scripted.sent if kind == "infeasible"}
    assert not refused & stored_strings(result)


def test_coevo_rejects_a_proposal_whose_changed_field_names_another_edge(scripted, tmp_path):
    from hwnas.search._coevo_knowledge import CoevoKnowledge

    config = SearchConfig(OBJECTIVES, strategy="coevo", budget=10, seed=1, bands=1, llm="env")
    context = open_context(tmp_path, config)
    try:
        elites = context.evaluate([_proposal(a) for a in SPACE.sample(6, seed=8)
                                   if SPACE.infeasibility(a) is None][:3])
        elite = elites[0].arch
        genes = list(SPACE.genes(elite))
        genes[3] = 3 if genes[3] != 3 else 2  # a conv on edge 3<-0: always a new network
        touched = SPACE.from_genes(genes)
        genes[4] = 2 if genes[4] != 2 else 3  # ... and this one edges 3<-0 and 3<-1
        both = SPACE.from_genes(genes)
        assert len({SPACE.isomorphism_key(a) for a in (elite, touched, both)}) == 3
        scripted.plan("propose", {"candidates": [
            {"changed": "edge 3<-1: skip_connect -> nor_conv_1x1", "why": "claims 3<-1",
             "architecture": touched.string},  # names 3<-1, changes 3<-0: out of scope
            {"changed": "edge 3<-0 and edge 3<-1", "why": "names both",
             "architecture": both.string},  # in scope of what it names
        ]})
        before = (context.evaluations, context.store.count_candidates())
        knowledge = CoevoKnowledge(llm_proposals=2)
        knowledge.llm = context.llm
        pool = knowledge.llm_pool(context, 0, elites[:1], round_index=1)
        assert context.rejections == {"llm:scope": 1}, context.rejections
        assert [p.arch for p in pool] == [both]
        assert (context.evaluations, context.store.count_candidates()) == before
    finally:
        context.llm.close()
        context.store.close()


def _proposal(arch):
    from hwnas.search import Proposal

    return Proposal(arch, "random", 0)


def test_a_coevo_run_with_an_llm_records_that_its_proposals_use_it(scripted, tmp_path):
    config = SearchConfig(OBJECTIVES, strategy="coevo", budget=4, seed=1, bands=1, llm="env")
    result = run_search(config, tmp_path)
    with RunStore.open(result.folder) as store:
        [started] = [e["data"] for e in store.events() if e["kind"] == "started"]
    assert started["strategy"]["proposal_step"] == "llm + evolutionary operator"
    assert started["llm"] == result.llm != "none"
