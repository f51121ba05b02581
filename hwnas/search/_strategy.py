"""The strategy interface: propose architectures, observe their evaluations.

How to write a strategy
-----------------------
Subclass `Strategy`, set `name`, write `propose` and `observe`, and register it::

    from hwnas.search import STRATEGIES, Proposal, Strategy

    @STRATEGIES.register("my-search")
    class MySearch(Strategy):
        name = "my-search"

        def propose(self, context, count):
            return [Proposal(arch, origin="mine") for arch in ...]

        def observe(self, context, evaluations):
            ...  # update your state from the new Evaluation records

The harness (`hwnas.search.run_search`) owns the budget, the run store, the bands and
the duplicate check: a proposal whose isomorphism class was already evaluated, or that
leaves its target band, is rejected and counted, never evaluated. A strategy must draw
all randomness from `context.rng(self.name)` (seeded by the run) so that a resumed run
replays it exactly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, Registry

if TYPE_CHECKING:
    from hwnas.search._context import SearchContext
    from hwnas.search._records import Evaluation


@dataclass(frozen=True)
class Proposal:
    """A candidate a strategy wants evaluated, with where it came from."""

    arch: Architecture
    origin: str = ""  # random, mutation, crossover, llm, distill, ...
    band: int | None = None  # the band it is meant for; leaving it is a rejection
    note: str = ""  # e.g. the LLM's named change and reason


class Strategy(ABC):
    """A search strategy. See the module docstring."""

    name: str = ""
    batch_size: int = 1  # how many evaluations it wants per step (the executor's parallelism)
    uses_llm: bool = False  # the harness opens the run's LLM only for strategies that use one

    def __init__(self, **options: Any) -> None:
        self.options = options

    def start(self, context: SearchContext) -> None:
        """Called once before the first proposal."""
        return None

    @abstractmethod
    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        """Up to about `count` proposals (more are allowed; the harness takes what fits)."""

    @abstractmethod
    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        """The evaluations of the last accepted proposals, in order."""

    def describe(self) -> dict[str, Any]:
        """What the run record says about this strategy (name, settings, LLM)."""
        return {"strategy": self.name, "options": dict(self.options)}


STRATEGIES: Registry[Strategy] = Registry("strategies", base=Strategy)

# The built-in strategies register when `hwnas.search` imports `_builtin`; third-party
# strategies arrive through the `hwnas.strategies` entry-point group on first lookup.


def list_strategies(pattern: str = "*") -> list[str]:
    """Names of registered strategies matching a glob."""
    return STRATEGIES.list(pattern)


def create_strategy(name: str | Strategy, **options: Any) -> Strategy:
    """A strategy by name (built with `options`); an instance passes through."""
    return STRATEGIES.resolve(name, **options)
