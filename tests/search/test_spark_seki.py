"""`spark` and `seki` offline (no LLM): their own structure runs, the run says so, every
scoped edit stays in its factor, islands migrate, SEKI switches stage by budget or by
stagnation, options are checked at the door, and a finished run replays on resume."""

from __future__ import annotations

import re

import pytest

from hwnas.core import ConfigError
from hwnas.runs import RunStore
from hwnas.search import SearchConfig, resume_search, run_search
from hwnas.spaces import create_space


def run(tmp_path, objectives: str, strategy: str, budget: int, seed: int = 0, **options):
    config = SearchConfig(objectives, strategy=strategy, budget=budget, seed=seed, bands=1,
                          strategy_options=options)
    result = run_search(config, tmp_path)
    with RunStore.open(result.folder) as store:
        rows = list(zip(store.candidates(), store.candidate_extras(), strict=True))
        events = store.events()
    summary = [e["data"] for e in events if e["kind"] == "finished"][-1]
    notes = [e["data"]["message"] for e in events if e["kind"] == "note"]
    return result, rows, summary, notes


def test_spark_offline_edits_stay_in_the_routed_factor(tmp_path, objectives) -> None:
    space = create_space("nb201")
    result, rows, summary, notes = run(tmp_path, objectives, "spark", 60, migration_interval=10)
    assert result.evaluations == 60 and result.llm == "none"
    assert any(n.startswith("spark: no LLM configured") for n in notes)
    stats = summary["llm_proposals"]
    assert stats["mode"].startswith("offline") and stats["routed_by_rule"] == stats["steps"]
    assert stats["migrations"] >= 3
    by_string = {c.architecture.arch_id: c.architecture for c, _ in rows}
    edits = [(c.architecture, e["note"]) for c, e in rows if e["origin"] == "spark-mutation"]
    assert len(edits) >= 40
    evaluated = sum(s["evaluated"] for s in stats["by_factor"].values())
    assert evaluated == len(edits)
    for child, note in edits:
        factor = re.search(r"factor (\w+)", note).group(1)
        parent = by_string[re.search(r"parent (\w+)", note).group(1)]
        assert space.changed_factors(parent, child) == {factor}, (parent, child, note)
        assert space.infeasibility(child) is None
    assert all(k.startswith("mutation:") and k.count(":") == 2 for k in result.rejections)


def test_spark_without_the_freeze_lets_edits_leave_their_factor(tmp_path, objectives) -> None:
    space = create_space("nb201")
    result, rows, summary, _ = run(tmp_path, objectives, "spark", 40, freeze=False)
    assert summary["llm_proposals"]["out_of_scope_allowed"] > 0
    by_id = {c.architecture.arch_id: c.architecture for c, _ in rows}
    wider = 0
    for candidate, extra in rows:
        if extra["origin"] == "spark-mutation":
            parent = by_id[re.search(r"parent (\w+)", extra["note"]).group(1)]
            wider += len(space.changed_factors(parent, candidate.architecture)) > 1
    assert wider > 0


def test_seki_switches_by_budget_share(tmp_path, objectives) -> None:
    result, rows, summary, notes = run(tmp_path, objectives, "seki", 40, budget_share=0.5)
    stats = summary["llm_proposals"]
    assert stats["switch"]["at_evaluation"] == 20 and stats["switch"]["rule"] == "budget"
    assert any(n.startswith("seki: no LLM configured") for n in notes)
    assert any(n.startswith("seki: knowledge inspiration from evaluation 20") for n in notes)
    stages = stats["stages"]
    assert stages["self_evolution"]["evaluated"] == 10  # after 10 random starts
    assert stages["knowledge_inspiration"]["evaluated"] == 20
    origins = [e["origin"] for _, e in rows]
    assert origins == ["random"] * 10 + ["seki-evolve-mutation"] * 10 \
        + ["seki-inspire-heuristics"] * 20


def test_seki_switches_on_stagnation(tmp_path, objectives) -> None:
    result, rows, summary, _ = run(tmp_path, objectives, "seki", 60, switch="stagnation",
                                   stagnation=3)
    switch = summary["llm_proposals"]["switch"]
    assert switch["rule"] == "stagnation" and "did not join the front" in switch["reason"]
    at = switch["at_evaluation"]
    origins = [e["origin"] for _, e in rows]
    assert set(origins[10:at]) == {"seki-evolve-mutation"}
    assert set(origins[at:]) == {"seki-inspire-heuristics"}
    stages = summary["llm_proposals"]["stages"]
    assert stages["self_evolution"]["evaluated"] == at - 10


@pytest.mark.parametrize("strategy", ["spark", "seki"])
def test_a_finished_run_replays_on_resume(tmp_path, objectives, strategy) -> None:
    result, _, _, _ = run(tmp_path, objectives, strategy, 24, seed=4)
    again = resume_search(result.folder)
    assert again.evaluations == 24 and again.front == result.front


@pytest.mark.parametrize(("strategy", "options", "message"), [
    ("spark", {"islands": 0}, "islands must be 1 or more"),
    ("spark", {"exploration": 2}, "exploration must be in"),
    ("seki", {"switch": "never"}, "switch must be budget or stagnation"),
    ("seki", {"top_k": 0}, "top_k must be 1 or more"),
])
def test_options_are_checked_at_the_door(strategy, options, message) -> None:
    from hwnas.search import create_strategy

    with pytest.raises(ConfigError, match=message):
        create_strategy(strategy, **options)
