"""The records of a search: its config (what defines a run) and one evaluation's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwnas.core import Architecture, Candidate, ConfigError
from hwnas.pareto import parse_objectives
from hwnas.search._partition import BAND_FEATURES
from hwnas.search._strategy import Proposal


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
    ray_timeout_s: float | None = None  # None: the executor's default (a hung batch fails)
    llm: str | None = None  # None/"none": no LLM; "local": embedded model; else a model name
    confirm_margin: float = 0.05  # share of each objective's range counted as "near the front"
    screen_factor: int = 10  # cheap screenings allowed per budgeted evaluation
    strategy_options: dict[str, Any] = field(default_factory=dict)
    source_options: dict[str, Any] = field(default_factory=dict)
    # ground truth per objective, `name=kind:target,...`, looked up only after the search
    # (hwnas.search._truth); objectives whose final source is a table default to it
    truth: str | None = None
    labels: int | None = None  # K for ensemble objectives that name none (hwnas.search._labels)

    def __post_init__(self) -> None:
        if self.budget < 1:
            raise ConfigError(f"--budget must be at least 1, got {self.budget}")
        if self.band_by not in BAND_FEATURES:
            raise ConfigError(
                f"unknown --band-by {self.band_by!r}; use one of {', '.join(BAND_FEATURES)}"
            )
        if not 0 <= self.confirm_margin < 1:
            raise ConfigError(f"confirm margin must be in [0, 1), got {self.confirm_margin}")
        objectives = parse_objectives(self.objectives)  # validate once, at the door
        from hwnas.search._labels import check_labels
        from hwnas.search._truth import parse_truth

        parse_truth(self.truth, objectives)
        check_labels(self.objectives, self.labels, self.budget)

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
