"""The search harness: one loop for every strategy, the budget, the store and resume.

Resume works by deterministic replay: a resumed run rebuilds its strategy from the
stored config and seed and runs it again from the start; every evaluation the store
already holds is answered from the store (never repeated), and every LLM call from
the LLM call log in the same database (never repeated). Once the replay passes the
last stored evaluation the run goes on live.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core import (
    Architecture,
    Candidate,
    ConfigError,
    ObjectiveValue,
)
from hwnas.search._executor import Executor, create_executor
from hwnas.search._objectives import ObjectiveSpec, format_objectives, parse_objectives
from hwnas.search._pareto import (
    REFERENCE_POINT,
    FrontQuality,
    ParetoArchive,
    TrueFront,
    hypervolume,
    non_dominated_mask,
    normalise,
)
from hwnas.search._partition import BAND_FEATURES, BandFeature, Partition, build_partition
from hwnas.search._sources import (
    COST_RANK,
    ObjectiveSource,
    SourceContext,
    SourceValue,
    TableSource,
    create_source,
)
from hwnas.search._strategy import Proposal, Strategy, create_strategy

MAX_STALLS = 30  # proposal rounds with nothing new before the harness fills in at random


@dataclass(frozen=True)
class SearchConfig:
    """Everything that defines a run; stored with it so a resume rebuilds the same run."""

    objectives: str
    strategy: str = "coevo"
    budget: int = 100
    seed: int = 0
    space: str = "nb201"
    device: str | None = None
    bands: int = 4
    band_by: str = "latency"
    band_bounds: tuple[float, ...] | None = None
    band_predictor: str | None = None  # a saved latency predictor (hwnas predict train)
    executor: str = "local"
    ray_address: str | None = None
    llm: str | None = None  # None/"none": no LLM; "local": embedded model; else a model name
    confirm_margin: float = 0.05  # share of each objective's range counted as "near the front"
    screen_factor: int = 10  # cheap screenings allowed per budgeted evaluation
    strategy_options: dict[str, Any] = field(default_factory=dict)
    source_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.budget < 1:
            raise ConfigError(f"--budget must be at least 1, got {self.budget}")
        if self.band_by not in BAND_FEATURES:
            raise ConfigError(
                f"unknown --band-by {self.band_by!r}; use one of {', '.join(BAND_FEATURES)}"
            )
        if not 0 <= self.confirm_margin < 1:
            raise ConfigError(f"confirm margin must be in [0, 1), got {self.confirm_margin}")
        parse_objectives(self.objectives)  # validate once, at the door

    def to_dict(self) -> dict[str, Any]:
        from hwnas.core import to_plain

        return to_plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchConfig:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("band_bounds") is not None:
            values["band_bounds"] = tuple(values["band_bounds"])
        return cls(**values)


@dataclass(frozen=True)
class Evaluation:
    """One evaluated proposal: the candidate, whether it counted and how it ended."""

    candidate: Candidate
    proposal: Proposal
    status: str  # ok | failed
    confirmed: bool  # final (most expensive) sources filled
    counted: bool  # counts against the budget
    error: str | None = None
    replayed: bool = False
    screen: dict[str, float] | None = None  # cheap values of screened objectives

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def arch(self) -> Architecture:
        return self.candidate.architecture


class SearchContext:
    """What a strategy sees: the space, bands, evaluated candidates, fronts, RNGs, LLM."""

    def __init__(self, config: SearchConfig, store: Any, executor: Executor,
                 llm: Any | None = None,
                 progress: Callable[[SearchContext], None] | None = None) -> None:
        from hwnas.spaces import create_space

        self.config = config
        self.store = store
        self.executor = executor
        self.llm = llm
        self.progress = progress
        self.space = create_space(config.space)
        self.objectives: tuple[ObjectiveSpec, ...] = parse_objectives(config.objectives)
        self.signs = np.array([1.0 if o.minimize else -1.0 for o in self.objectives])
        self.budget = config.budget
        predictor = None
        if config.band_predictor:
            from hwnas.predictors import load_predictor

            predictor = load_predictor(config.band_predictor)
        self.band_feature = BandFeature(self.space, config.band_by, config.device, predictor)
        self.partition: Partition = build_partition(
            self.band_feature, config.bands, config.band_bounds
        )
        self.sources = self._build_sources()
        # Chains whose cheap and final sources differ in unit (proxy:synflow>train:...)
        # screen against the confirmed candidates' cheap values, not their final ones.
        self._screen_in_cheap_units = any(
            o.screened and chain[0].unit != chain[-1].unit
            for o, chain in zip(self.objectives, self.sources, strict=True))
        self._screen_archive = ParetoArchive()
        self._screen_points: list[np.ndarray] = []
        # state
        self.evaluations = 0  # counted against the budget
        self.failed = 0
        self.screened_only = 0
        self.replayed = 0  # evaluations answered from the store on resume
        self.evaluated: list[Evaluation] = []
        self.seen_keys: set[str] = set()
        self.rejections: Counter[str] = Counter()
        self.band_rejections: Counter[tuple[int, str]] = Counter()
        self.band_archives = [ParetoArchive() for _ in range(self.partition.bands)]
        self.archive = ParetoArchive()
        self.band_counts = [0] * self.partition.bands
        self._rngs: dict[str, random.Random] = {}
        self._by_key: dict[str, Evaluation] = {}
        self._keys: dict[str, str] = {}
        # what the store already holds (resume by replay)
        self._stored = {}
        for candidate, extra in zip(store.candidates(), store.candidate_extras(), strict=True):
            self._stored[candidate.architecture.arch_id] = (candidate, extra)
        self._logged_events = {
            e["data"].get("key") for e in store.events() if isinstance(e["data"], dict)
        }
        self._stored_knowledge = {(k["band"], k["round"]) for k in store.knowledge()}

    # --- setup ----------------------------------------------------------------------
    def _build_sources(self) -> list[list[ObjectiveSource]]:
        built = []
        for objective in self.objectives:
            context = SourceContext(self.config.space, objective.name, self.config.device,
                                    dict(self.config.source_options))
            built.append([create_source(s.kind, s.target, context) for s in objective.sources])
        return built

    def rng(self, name: str) -> random.Random:
        """A generator seeded by the run seed and `name` (stable across resumes)."""
        if name not in self._rngs:
            self._rngs[name] = random.Random(self.config.seed * 1_000_003 + zlib.crc32(name.encode()))
        return self._rngs[name]

    def np_rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(self.rng(f"np:{name}").getrandbits(63))

    # --- queries --------------------------------------------------------------------
    @property
    def bands(self) -> int:
        return self.partition.bands

    @property
    def remaining(self) -> int:
        return self.budget - self.evaluations

    def band_of(self, arch: Architecture) -> int:
        return self.partition.band_of_value(self.band_feature(arch))

    def band_budget(self, band: int) -> int:
        """The budget share of a band: the budget spread evenly, remainder to the lowest bands."""
        share, extra = divmod(self.budget, self.bands)
        return share + (1 if band < extra else 0)

    def key(self, arch: Architecture) -> str:
        """The isomorphism class of `arch` (cached: strategies ask for it many times)."""
        key = self._keys.get(arch.string)
        if key is None:
            key = self._keys[arch.string] = self.space.isomorphism_key(arch)
        return key

    def is_new(self, arch: Architecture) -> bool:
        return self.key(arch) not in self.seen_keys

    def vector(self, candidate: Candidate) -> np.ndarray:
        """The candidate's objectives as a minimisation vector (maximised ones negated)."""
        return np.array([candidate.value(o.name) for o in self.objectives]) * self.signs

    def final(self) -> list[Evaluation]:
        """Evaluations with every objective from its final source (what fronts are made of)."""
        return [e for e in self.evaluated if e.ok and e.confirmed]

    def front(self, band: int | None = None) -> list[Evaluation]:
        archive = self.archive if band is None else self.band_archives[band]
        keys = set(archive.keys)
        return [e for e in self.final() if e.arch.arch_id in keys]

    # --- the budget and the store ---------------------------------------------------
    def reject(self, proposal: Proposal, reason: str) -> None:
        self.rejections[reason] += 1
        if proposal.band is not None:
            self.band_rejections[(proposal.band, reason)] += 1

    def check(self, proposal: Proposal, pending: set[str]) -> str | None:
        """Why a proposal is rejected (duplicate, leaves-band), or None to accept it."""
        key = self.key(proposal.arch)
        if key in self.seen_keys or key in pending:
            return "duplicate"
        if proposal.band is not None and self.band_of(proposal.arch) != proposal.band:
            return "leaves-band"
        return None

    def log_event_once(self, kind: str, key: str, data: dict[str, Any]) -> None:
        """Log an event unless a replayed run logged it already."""
        if key in self._logged_events:
            return
        self._logged_events.add(key)
        self.store.log_event(kind, {"key": key, **data})

    def add_knowledge_once(self, band: int | None, round_index: int, content: dict[str, Any]) -> None:
        if (band, round_index) in self._stored_knowledge:
            return
        self._stored_knowledge.add((band, round_index))
        self.store.add_knowledge(band, round_index, content)

    def evaluate(self, proposals: Sequence[Proposal]) -> list[Evaluation]:
        """Evaluate accepted proposals (cheap sources first), store them, then return them."""
        results: list[Evaluation | None] = [None] * len(proposals)
        todo = []
        for index, proposal in enumerate(proposals):
            stored = self._stored.get(proposal.arch.arch_id)
            if stored is not None:
                results[index] = self._from_store(proposal, *stored)
            else:
                todo.append(index)
        if todo:
            for index, evaluation in zip(todo, self._evaluate_live([proposals[i] for i in todo]),
                                         strict=True):
                results[index] = evaluation
        done = [r for r in results if r is not None]
        for evaluation in done:
            self._account(evaluation)
        if self.progress is not None:
            self.progress(self)
        return done

    def _from_store(self, proposal: Proposal, candidate: Candidate,
                    extra: dict[str, Any]) -> Evaluation:
        return Evaluation(candidate, proposal, extra.get("status", "ok"),
                          bool(extra.get("confirmed", True)), bool(extra.get("counted", True)),
                          extra.get("error"), replayed=True, screen=extra.get("screen"))

    def _stage_values(self, stage: dict[int, ObjectiveSource],
                      archs: list[Architecture]) -> dict[int, list[SourceValue]]:
        """Values of one source per objective, cheapest kind first; later ones skip failures."""
        out: dict[int, list[SourceValue]] = {}
        alive = list(range(len(archs)))
        for objective_index, source in sorted(stage.items(), key=lambda kv: COST_RANK[kv[1].kind]):
            values: list[SourceValue] = [SourceValue(None, "skipped: an earlier objective failed")] * len(archs)
            if alive:
                got = self.executor.values(source, [archs[i] for i in alive])
                for i, value in zip(alive, got, strict=True):
                    values[i] = value
            out[objective_index] = values
            alive = [i for i in alive if values[i].ok]
        return out

    def _evaluate_live(self, proposals: list[Proposal]) -> list[Evaluation]:
        archs = [p.arch for p in proposals]
        first = {i: chain[0] for i, chain in enumerate(self.sources)}
        cheap = self._stage_values(first, archs)
        screened = [i for i, o in enumerate(self.objectives) if o.screened]
        confirm = [True] * len(archs)
        if screened:
            confirm = [self._near_front(self._vector_of(cheap, j)) if self._all_ok(cheap, j)
                       else False for j in range(len(archs))]
        final_values: dict[int, list[SourceValue]] = {}
        to_confirm = [j for j in range(len(archs)) if confirm[j] and self._all_ok(cheap, j)]
        if screened and to_confirm:
            expensive = {i: self.sources[i][-1] for i in screened}
            got = self._stage_values(expensive, [archs[j] for j in to_confirm])
            for i in screened:
                column: list[SourceValue] = [SourceValue(None, "not confirmed")] * len(archs)
                for position, j in enumerate(to_confirm):
                    column[j] = got[i][position]
                final_values[i] = column
        out = []
        for j, proposal in enumerate(proposals):
            out.append(self._record(proposal, j, cheap, final_values, screened, confirm[j]))
        return out

    @staticmethod
    def _all_ok(values: dict[int, list[SourceValue]], j: int) -> bool:
        return all(column[j].ok for column in values.values())

    def _vector_of(self, values: dict[int, list[SourceValue]], j: int) -> np.ndarray:
        return np.array([values[i][j].value for i in range(len(self.objectives))]) * self.signs

    def _near_front(self, point: np.ndarray) -> bool:
        """Within `confirm_margin` of each objective's range of being non-dominated."""
        front = self._screen_archive.points if self._screen_in_cheap_units else self.archive.points
        if len(front) == 0:
            return True
        finals = np.array(self._screen_points) if self._screen_in_cheap_units else \
            np.array([self.vector(e.candidate) for e in self.final()])
        span = finals.max(axis=0) - finals.min(axis=0) if len(finals) > 1 else np.ones(len(point))
        span = np.where(span > 0, span, 1.0)
        gap = np.max(np.min((point - front) / span, axis=1))  # > 0: dominated by that much
        return bool(gap <= self.config.confirm_margin)

    def _record(self, proposal: Proposal, j: int, cheap: dict[int, list[SourceValue]],
                final_values: dict[int, list[SourceValue]], screened: list[int],
                wanted_confirmation: bool) -> Evaluation:
        objectives: dict[str, ObjectiveValue] = {}
        errors = []
        measurements = []
        confirmed = True
        cheap_ok = self._all_ok(cheap, j)
        for i, objective in enumerate(self.objectives):
            value = cheap[i][j]
            source = self.sources[i][0]
            if i in screened:
                if i in final_values and final_values[i][j].ok:
                    value, source = final_values[i][j], self.sources[i][-1]
                elif i in final_values and final_values[i][j].error != "not confirmed":
                    errors.append(f"{objective.name}: {final_values[i][j].error}")
                    confirmed = False
                else:
                    confirmed = False
            if value.measurement is not None:
                measurements.append(value.measurement)
            if value.ok:
                objectives[objective.name] = ObjectiveValue(
                    objective.name, float(value.value), source.unit, source.recorded_as,
                    objective.minimize)
            elif value.error and not value.error.startswith("skipped"):
                errors.append(f"{objective.name}: {value.error}")
        failed = not cheap_ok or (wanted_confirmation and screened and not confirmed and bool(errors))
        status = "failed" if failed else "ok"
        counted = confirmed or failed
        candidate = Candidate(proposal.arch, objectives if not failed else {},
                              self.band_of(proposal.arch))
        error = "; ".join(errors) or None
        extra = {"status": status, "confirmed": confirmed and not failed, "counted": counted,
                 "error": error, "origin": proposal.origin, "note": proposal.note,
                 "target_band": proposal.band}
        if failed:
            extra["partial"] = {name: value.value for name, value in objectives.items()}
        screen = {self.objectives[i].name: float(cheap[i][j].value) for i in screened
                  if cheap[i][j].ok} if self._screen_in_cheap_units else None
        if screen:
            extra["screen"] = screen
        self.store.add_candidate_with_measurements(candidate, extra, measurements)
        return Evaluation(candidate, proposal, status, confirmed and not failed, counted, error,
                          screen=screen)

    def _account(self, evaluation: Evaluation) -> None:
        key = self.key(evaluation.arch)
        self.seen_keys.add(key)
        self._by_key[key] = evaluation
        self.evaluated.append(evaluation)
        self.replayed += evaluation.replayed
        if evaluation.counted:
            self.evaluations += 1
        else:
            self.screened_only += 1
        if not evaluation.ok:
            self.failed += 1
            return
        band = evaluation.candidate.band or 0
        if evaluation.confirmed:
            self.band_counts[band] += 1
            point = self.vector(evaluation.candidate)
            self.archive.add(evaluation.arch.arch_id, point)
            self.band_archives[band].add(evaluation.arch.arch_id, point)
            if self._screen_in_cheap_units:
                screen = evaluation.screen or {}
                cheap = np.array([screen.get(o.name, evaluation.candidate.value(o.name))
                                  for o in self.objectives]) * self.signs
                self._screen_points.append(cheap)
                self._screen_archive.add(evaluation.arch.arch_id, cheap)

    def evaluation_of_key(self, key: str) -> Evaluation | None:
        return self._by_key.get(key)

    # --- the true front ------------------------------------------------------------
    def true_front(self) -> TrueFront | None:
        """The exact front when the space is enumerable and every objective is a table."""
        finals = [chain[-1] for chain in self.sources]
        if not all(isinstance(s, TableSource) for s in finals) or not hasattr(self.space, "enumerate"):
            return None
        return _true_front_cached(self.config.space, format_objectives(self.objectives))


_TRUE_FRONTS: dict[tuple[str, str], TrueFront | None] = {}


def _true_front_cached(space_name: str, objectives_text: str) -> TrueFront | None:
    key = (space_name, objectives_text)
    if key not in _TRUE_FRONTS:
        _TRUE_FRONTS[key] = compute_true_front(space_name, parse_objectives(objectives_text))
    return _TRUE_FRONTS[key]


def compute_true_front(space_name: str, objectives: Sequence[ObjectiveSpec]) -> TrueFront | None:
    """Evaluate every architecture of an enumerable space from its tables; keep the front."""
    from hwnas.spaces import create_space

    space = create_space(space_name)
    if space.size > 2_000_000:
        return None
    strings = [a.string for a in space.enumerate()]
    columns = []
    for objective in objectives:
        source = create_source(objective.final_source.kind, objective.final_source.target,
                               SourceContext(space_name, objective.name))
        if not isinstance(source, TableSource):
            return None
        values = source.table.values(source.metric, strings)
        columns.append(values if objective.minimize else -values)
    points = np.column_stack(columns)
    valid = ~np.isnan(points).any(axis=1)
    points, kept = points[valid], [s for s, ok in zip(strings, valid, strict=True) if ok]
    mask = non_dominated_mask(points)
    front_strings = tuple(s for s, ok in zip(kept, mask, strict=True) if ok)
    return TrueFront(points[mask], front_strings,
                     tuple(space.isomorphism_key(s) for s in front_strings))


# --- results -----------------------------------------------------------------------
@dataclass(frozen=True)
class SearchResult:
    """What a finished (or stopped) run reports."""

    run: str
    folder: str
    strategy: str
    evaluations: int
    failed: int
    screened_only: int
    front_size: int
    hv: float
    hv_ratio: float | None
    igd: float | None
    recall: float | None
    llm: str
    status: str
    rejections: dict[str, int]
    bands: dict[str, Any]
    seconds: float
    front: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "run", "folder", "strategy", "evaluations", "failed", "screened_only", "front_size",
            "hv", "hv_ratio", "igd", "recall", "llm", "status", "rejections", "seconds")}
        out["bands"] = self.bands
        return out


def front_quality(context: SearchContext) -> tuple[float, FrontQuality | None]:
    """(hv, quality): hv normalised by the true front when known, else by the run's own front."""
    finals = context.final()
    points = np.array([context.vector(e.candidate) for e in finals]).reshape(-1, len(context.objectives))
    true_front = context.true_front()
    if true_front is not None:
        quality = true_front.quality(points, {context.key(e.arch) for e in context.evaluated})
        return quality.hv, quality
    if len(points) == 0:
        return 0.0, None
    front = points[non_dominated_mask(points)]
    ideal, nadir = points.min(axis=0), points.max(axis=0)
    reference = np.full(points.shape[1], REFERENCE_POINT)
    return hypervolume(normalise(front, ideal, nadir), reference), None


def build_result(context: SearchContext, strategy: Strategy, status: str, seconds: float) -> SearchResult:
    hv, quality = front_quality(context)
    front = sorted(context.front(), key=lambda e: tuple(context.vector(e.candidate)))
    bands = {
        "partition": context.partition.to_dict(),
        "evaluations": list(context.band_counts),
        "front_sizes": [len(a) for a in context.band_archives],
    }
    return SearchResult(
        run=context.store.run_id, folder=str(context.store.folder), strategy=strategy.name,
        evaluations=context.evaluations, failed=context.failed,
        screened_only=context.screened_only, front_size=len(front), hv=round(hv, 6),
        hv_ratio=None if quality is None else round(quality.hv_ratio, 6),
        igd=None if quality is None else round(quality.igd, 6),
        recall=None if quality is None else round(quality.recall, 6),
        llm=llm_label(context), status=status, rejections=dict(context.rejections),
        bands=bands, seconds=round(seconds, 3),
        front=[{"arch": e.arch.string, "band": e.candidate.band,
                **{n: v.value for n, v in e.candidate.objectives.items()}} for e in front],
    )


def llm_label(context: SearchContext) -> str:
    if context.llm is None:
        return "none"
    return str(getattr(context.llm, "model_label", None) or getattr(context.llm, "model", "llm"))


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
    """Run `strategy` until the budget is spent; the run's final status."""
    strategy.start(context)
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
            if not isinstance(proposal.arch, Architecture) or proposal.arch.space != context.space.name:
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

    store = RunStore.open(run, out_dir)
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
            options = {"address": config.ray_address} if config.executor == "ray" else {}
            executor = create_executor(config.executor, **options)
        if llm is None and strategy.uses_llm:
            llm = _open_llm(config, store)
        elif config.llm not in (None, "", "none") and not strategy.uses_llm:
            context_note = f"strategy {strategy.name} makes no LLM calls; --llm is ignored"
            store.log_event("note", {"message": context_note})
        context = SearchContext(config, store, executor, llm, progress)
        context.log_event_once("started", "started", {
            "strategy": strategy.describe(), "executor": executor.describe(),
            "partition": context.partition.to_dict(), "llm": llm_label(context),
            "sources": [[s.describe() for s in chain] for chain in context.sources],
        })
        status = drive(context, strategy)
        result = build_result(context, strategy, status, time.perf_counter() - started)
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


__all__ = [
    "Evaluation", "SearchConfig", "SearchContext", "SearchResult", "build_result",
    "compute_true_front", "drive", "front_quality", "resume_search",
    "run_search",
]
