"""The search harness: one loop for every strategy, the budget, the store and resume.

Resume works by deterministic replay: a resumed run rebuilds its strategy from the
stored config and seed and runs it again from the start; every evaluation the store
already holds is answered from the store (never repeated), and every LLM call from
the LLM call log in the same database (never repeated). Once the replay passes the
last stored evaluation the run goes on live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from hwnas.core import Architecture, ConfigError
from hwnas.search._context import SearchContext
from hwnas.search._executor import Executor, create_executor
from hwnas.search._labels import evaluate_labelled
from hwnas.search._records import SearchConfig
from hwnas.search._result import SearchResult, build_result, llm_label
from hwnas.search._strategy import Proposal, Strategy, create_strategy
from hwnas.search._truth import evaluate_truth

MAX_STALLS = 30  # proposal rounds with nothing new before the harness fills in at random


# --- the loop ----------------------------------------------------------------------
def _fill_random(context: SearchContext, count: int) -> list[Proposal]:
    rng = context.rng("harness-fill")
    out: list[Proposal] = []
    pending: set[str] = set()
    for _ in range(count * 200):
        arch = context.space.sample(1, seed=rng)[0]
        key = context.key(arch)
        if key not in context.seen_keys and key not in pending:
            pending.add(key)
            out.append(Proposal(arch, origin="harness-random"))
            if len(out) >= count:
                break
    return out


def drive(context: SearchContext, strategy: Strategy) -> str:
    """Run a started `strategy` until the budget is spent; the run's final status."""
    stalls = 0
    screen_cap = context.budget * max(1, context.config.screen_factor)
    while context.evaluations < context.budget:
        if context.screened_only >= screen_cap:
            context.log_event_once("stopped", "stopped:screen-cap",
                                   {"reason": "cheap screenings hit the cap", "cap": screen_cap})
            return "stopped"
        want = min(max(1, strategy.batch_size), context.remaining)
        proposals = strategy.propose(context, want)
        accepted: list[Proposal] = []
        pending: set[str] = set()
        for proposal in proposals:
            if len(accepted) >= want:
                break
            if not isinstance(proposal.arch, Architecture) \
                    or proposal.arch.space != context.space.name:
                context.reject(proposal, "grammar")
                continue
            reason = context.check(proposal, pending)
            if reason:
                context.reject(proposal, reason)
                continue
            pending.add(context.key(proposal.arch))
            accepted.append(proposal)
        if not accepted:
            stalls += 1
            if stalls < MAX_STALLS:
                continue
            accepted = _fill_random(context, want)
            if not accepted:
                return "exhausted"
            context.rejections["harness-fill"] += len(accepted)
        stalls = 0
        strategy.observe(context, context.evaluate(accepted))
    return "finished"


def _open_llm(config: SearchConfig, store: Any) -> Any | None:
    if config.llm in (None, "", "none"):
        return None
    from hwnas.search._llm import open_search_llm

    return open_search_llm(config.llm, store)


def run_search(
    config: SearchConfig,
    out_dir: str | Path = "runs",
    run_id: str | None = None,
    progress: Callable[[SearchContext], None] | None = None,
    executor: Executor | None = None,
    llm: Any | None = None,
) -> SearchResult:
    """Start a new run under `out_dir` and search until the budget is spent."""
    from hwnas.runs import RunStore

    strategy = create_strategy(config.strategy, **config.strategy_options)
    store = RunStore.create(out_dir, {"search": config.to_dict()}, config.strategy, config.seed,
                            run_id=run_id)
    return _execute(config, store, strategy, progress, executor, llm)


def resume_search(
    run: str | Path, out_dir: str | Path = "runs",
    progress: Callable[[SearchContext], None] | None = None,
    executor: Executor | None = None, llm: Any | None = None,
) -> SearchResult:
    """Continue a stopped or killed run: stored work is replayed, never repeated."""
    from hwnas.runs import RunStore

    store = RunStore.open(run, out_dir, lock=True)  # one writer per run
    if "search" not in store.config:
        store.close()
        raise ConfigError(f"run {store.run_id} is not a search run; nothing to resume")
    config = SearchConfig.from_dict(store.config["search"])
    strategy = create_strategy(config.strategy, **config.strategy_options)
    store.log_event("resumed", {"stored_candidates": store.count_candidates()})
    return _execute(config, store, strategy, progress, executor, llm)


def _execute(config: SearchConfig, store: Any, strategy: Strategy,
             progress: Callable[[SearchContext], None] | None,
             executor: Executor | None, llm: Any | None) -> SearchResult:
    started = time.perf_counter()
    owned_executor = executor is None
    owned_llm = llm is None
    try:
        if executor is None:
            options: dict[str, Any] = {}
            if config.executor == "ray":
                options = {"address": config.ray_address, "timeout_s": config.ray_timeout_s}
            executor = create_executor(config.executor, **options)
        if llm is None and strategy.uses_llm:
            llm = _open_llm(config, store)
        elif config.llm not in (None, "", "none") and not strategy.uses_llm:
            context_note = f"strategy {strategy.name} makes no LLM calls; --llm is ignored"
            store.log_event("note", {"message": context_note})
        # the strategy's context knows nothing of the truth, not even where it comes from
        context = SearchContext(replace(config, truth=None), store, executor, llm, progress)
        strategy.start(context)  # first: what it describes may depend on the run (its LLM)
        context.log_event_once("started", "started", {
            "strategy": strategy.describe(), "executor": executor.describe(),
            "partition": context.partition.to_dict(), "llm": llm_label(context),
            "sources": [[s.describe() for s in chain] for chain in context.sources],
        })
        evaluate_labelled(context)  # counted against the budget, before the strategy starts
        status = drive(context, strategy)
        truth = evaluate_truth(context, config.truth)  # only now, after the strategy stopped
        result = build_result(context, strategy, status, time.perf_counter() - started, truth)
        summary = result.summary()
        if llm is not None and hasattr(llm, "usage"):
            summary["llm_usage"] = llm.usage()
        if hasattr(strategy, "llm_stats"):
            summary["llm_proposals"] = dict(strategy.llm_stats)
        summary["replayed"] = context.replayed
        summary["band_rejections"] = {f"{band}:{reason}": count for (band, reason), count
                                      in sorted(context.band_rejections.items())}
        store.log_event("finished", summary)
        store.set_status(status)
        return result
    except BaseException:
        try:
            store.set_status("interrupted")
        except Exception:  # the store itself may be what failed
            pass
        raise
    finally:
        if owned_executor and executor is not None:
            executor.close()
        if owned_llm and llm is not None and hasattr(llm, "close"):
            llm.close()
        store.close()


__all__ = ["MAX_STALLS", "drive", "resume_search", "run_search"]
