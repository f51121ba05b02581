"""The search-space base: architectures as vectors of categorical genes."""

from __future__ import annotations

import itertools
import math
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, InvalidArchitectureError

if TYPE_CHECKING:
    import numpy as np
    import torch


def as_rng(seed_or_rng: int | random.Random | None) -> random.Random:
    """A `random.Random` from a seed, an existing generator, or None (seed 0)."""
    if isinstance(seed_or_rng, random.Random):
        return seed_or_rng
    return random.Random(0 if seed_or_rng is None else seed_or_rng)


@dataclass(frozen=True)
class NetworkCost:
    """Exact size and work of a network at batch 1."""

    params: int  # trainable parameters
    macs: int  # multiply-accumulates of convolutions and the classifier

    @property
    def flops(self) -> int:
        """Floating-point operations of convolutions and the classifier (2 per MAC)."""
        return 2 * self.macs

    @property
    def params_m(self) -> float:
        return self.params / 1e6

    @property
    def mflops(self) -> float:
        return self.flops / 1e6


@dataclass(frozen=True)
class LatencyBlock:
    """One block a latency table measures: its key, input shape (C, H, W) and a builder
    of the torch module (torch is imported only when `build` is called)."""

    key: str
    input_shape: tuple[int, int, int]
    build: Callable[[], torch.nn.Module]


def size_label(height: int, width: int) -> str:
    """The size part of a block key: `32` for 32x32, `52x16` otherwise."""
    return f"{height}" if height == width else f"{height}x{width}"


class SearchSpace(ABC):
    """A space whose architectures are fixed-length vectors of categorical choices.

    A subclass declares `name` and `gene_choices` (the options at each position) and
    writes three methods: `_decode(string)` (string to genes, raising
    InvalidArchitectureError), `_encode(genes)` (genes to the canonical string) and
    `_build_torch(genes, input_shape, num_classes, **options)`. Sampling, mutation,
    crossover, neighbours and enumeration are shared; register the class with
    `@SPACES.register(name)` (or the `hwnas.spaces` entry-point group).

    What the rest of hwnas asks a space for (each optional, with a default here):
    `string_pattern` and `describe()` (LLM prompts and reply schemas), `graph_features`
    (search surrogates), `onehot_graph_features` (predictors' feature encoders),
    `latency_blocks` and `latency_sum` (latency tables), `isomorphism_key` and
    `features`, and for scoped edits `factors`, `gene_change_factors`, `gene_names`,
    `positions_named` and `infeasibility` (SPARK's factors and the scope checks; the diff,
    `factor_moves` and `scoped_mutation` are shared). A space with an exact cost model also defines
    `cost(arch, input_shape=None, num_classes=None, prune=False) -> NetworkCost`
    (size proxies, cost bands, and the shared space suite check it against the network).
    """

    name: str = ""
    gene_choices: tuple[tuple[str, ...], ...] = ()
    default_input_shape: tuple[int, int, int] = (3, 32, 32)
    default_num_classes: int = 10
    # A regex every architecture string matches (constrained LLM decoding), or None.
    string_pattern: str | None = None
    # True when one-hot genes are all the graph features this space needs: predictors then
    # use them when no graph encoder is registered for it (else they refuse, naming the fix).
    onehot_graph_features: bool = False

    # --- what a space writes -------------------------------------------------------
    @abstractmethod
    def _decode(self, string: str) -> tuple[int, ...]:
        """Genes of an architecture string; InvalidArchitectureError when malformed."""

    @abstractmethod
    def _encode(self, genes: Sequence[int]) -> str:
        """The canonical string of a gene vector."""

    @abstractmethod
    def _build_torch(
        self, genes: tuple[int, ...], input_shape: tuple[int, int, int], num_classes: int,
        **options: Any,
    ) -> torch.nn.Module:
        """The torch network of a gene vector."""

    # --- what a space may override -------------------------------------------------
    def isomorphism_key(self, arch: Architecture | str) -> str:
        """A string equal for two architectures exactly when they compute the same network."""
        return self.parse(arch).string

    def features(self, arch: Architecture | str) -> dict[str, float]:
        """Numeric features of an architecture (one-hot genes by default)."""
        genes = self.genes(arch)
        out: dict[str, float] = {}
        for position, (gene, choices) in enumerate(zip(genes, self.gene_choices, strict=True)):
            for index, choice in enumerate(choices):
                out[f"g{position}_{choice}"] = float(gene == index)
        return out

    def describe(self) -> str:
        """A few sentences that teach a language model the architecture strings."""
        choices = "; ".join(
            f"gene {i}: {', '.join(options)}" for i, options in enumerate(self.gene_choices)
        )
        example = self.sample(1, seed=0)[0].string
        return f"{self.name}: {len(self.gene_choices)} genes ({choices}). Example: {example}."

    def graph_features(self, arch: Architecture | str) -> tuple[float, ...]:
        """Numbers about the architecture's graph beyond `features` (paths, terms of the
        executed graph) that search surrogates append; none by default."""
        return ()

    def latency_blocks(
        self, input_shape: tuple[int, int, int], num_classes: int
    ) -> dict[str, LatencyBlock] | None:
        """Every block a latency table measures for this space's networks at one input
        shape, by key; None when the space has no block decomposition."""
        return None

    def latency_sum(
        self,
        genes: np.ndarray,
        block_ms: Callable[[str], float],
        input_shape: tuple[int, int, int],
        num_classes: int,
        prune: bool = False,
    ) -> np.ndarray | None:
        """Each row's latency (N x genes int array) as the sum of its blocks' latencies,
        `block_ms(key)`; None when the space has no block decomposition."""
        return None

    # --- factors: the parts an edit can be scoped to (SPARK) --------------------------
    def factors(self) -> dict[str, str]:
        """The space's factors, name -> what it covers: the parts of an architecture an
        edit can be scoped to. One factor (`genes`, any change) unless a space declares more;
        every gene change belongs to one or more factors (`gene_change_factors`)."""
        return {"genes": "any gene of the architecture"}

    def gene_change_factors(self, position: int, old: int, new: int) -> frozenset[str]:
        """The factors that changing gene `position` from option `old` to `new` touches."""
        return frozenset({next(iter(self.factors()))})

    def gene_names(self) -> tuple[str, ...]:
        """A name per gene position, as prompts and `changed` fields write it."""
        return tuple(f"gene {i}" for i in range(len(self.gene_choices)))

    def positions_named(self, text: str) -> frozenset[int]:
        """The gene positions a free text names (e.g. an LLM's `changed` field)."""
        found = set()
        for position, name in enumerate(self.gene_names()):
            if re.search(re.escape(name) + r"(?![0-9])", text, flags=re.IGNORECASE):
                found.add(position)
        return frozenset(found)

    def infeasibility(self, arch: Architecture | str) -> str | None:
        """Why a grammatical architecture cannot work (e.g. its output does not depend on
        its input), or None when it can. Every architecture is feasible by default."""
        return None

    def changed_positions(
        self, parent: Architecture | str, child: Architecture | str
    ) -> tuple[int, ...]:
        """The gene positions where `child` differs from `parent` (the diff)."""
        a, b = self.genes(parent), self.genes(child)
        return tuple(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)

    def changed_factors(
        self, parent: Architecture | str, child: Architecture | str
    ) -> frozenset[str]:
        """Every factor the edit from `parent` to `child` touches (empty when equal)."""
        a, b = self.genes(parent), self.genes(child)
        out: set[str] = set()
        for position in self.changed_positions(parent, child):
            out |= self.gene_change_factors(position, a[position], b[position])
        return frozenset(out)

    def factor_moves(self, arch: Architecture | str, factor: str) -> dict[int, tuple[int, ...]]:
        """Per gene position, the options a change scoped to `factor` alone can pick."""
        if factor not in self.factors():
            raise InvalidArchitectureError(
                f"{self.name} has no factor {factor!r}; factors: {', '.join(self.factors())}"
            )
        genes = self.genes(arch)
        moves = {}
        for position, choices in enumerate(self.gene_choices):
            options = tuple(o for o in range(len(choices)) if o != genes[position]
                            and self.gene_change_factors(position, genes[position], o)
                            == {factor})
            if options:
                moves[position] = options
        return moves

    def scoped_mutation(
        self, arch: Architecture | str, factor: str,
        seed: int | random.Random | None = None, edits: int = 1,
    ) -> Architecture | None:
        """`arch` with up to `edits` genes changed, each change inside `factor` alone;
        None when `arch` allows no change of that factor."""
        rng = as_rng(seed)
        current = self.parse(arch)
        edited: set[int] = set()
        for _ in range(max(1, edits)):
            moves = {p: o for p, o in self.factor_moves(current, factor).items()
                     if p not in edited}
            if not moves:
                break
            position = rng.choice(sorted(moves))
            genes = list(self.genes(current))
            genes[position] = rng.choice(moves[position])
            edited.add(position)
            current = self.from_genes(genes)
        return current if edited else None

    # --- shared ---------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of architecture strings in the space."""
        return math.prod(len(c) for c in self.gene_choices)

    def parse(self, arch: Architecture | str) -> Architecture:
        """Validate a string (or an Architecture) and return it in canonical form."""
        if isinstance(arch, Architecture):
            if arch.space != self.name:
                raise InvalidArchitectureError(
                    f"architecture belongs to space {arch.space!r}, not {self.name!r}"
                )
            string = arch.string
        elif isinstance(arch, str):
            string = arch
        else:
            raise InvalidArchitectureError(
                f"expected an architecture string for space {self.name!r}, "
                f"got {type(arch).__name__}"
            )
        return Architecture(self.name, self._encode(self._decode(string.strip())))

    def genes(self, arch: Architecture | str) -> tuple[int, ...]:
        """The gene vector of an architecture."""
        if isinstance(arch, Architecture) and arch.space == self.name:
            return self._decode(arch.string)
        return self._decode(self.parse(arch).string)

    def from_genes(self, genes: Sequence[int]) -> Architecture:
        """The architecture of a gene vector (validated)."""
        genes = tuple(int(g) for g in genes)
        if len(genes) != len(self.gene_choices):
            raise InvalidArchitectureError(
                f"{self.name} needs {len(self.gene_choices)} genes, got {len(genes)}"
            )
        for position, (gene, choices) in enumerate(zip(genes, self.gene_choices, strict=True)):
            if not 0 <= gene < len(choices):
                raise InvalidArchitectureError(
                    f"gene {position} is {gene}; it must be in 0..{len(choices) - 1}"
                )
        return Architecture(self.name, self._encode(genes))

    def enumerate(self) -> Iterator[Architecture]:
        """Every architecture string of the space, in gene order."""
        for genes in itertools.product(*(range(len(c)) for c in self.gene_choices)):
            yield Architecture(self.name, self._encode(genes))

    def sample(self, n: int = 1, seed: int | random.Random | None = None) -> list[Architecture]:
        """`n` architectures drawn uniformly at random (with replacement)."""
        rng = as_rng(seed)
        return [
            self.from_genes([rng.randrange(len(c)) for c in self.gene_choices]) for _ in range(n)
        ]

    def mutate(
        self, arch: Architecture | str, seed: int | random.Random | None = None, edits: int = 1
    ) -> Architecture:
        """`arch` with `edits` genes changed to a different choice."""
        rng = as_rng(seed)
        genes = list(self.genes(arch))
        for position in rng.sample(range(len(genes)), k=min(edits, len(genes))):
            options = [i for i in range(len(self.gene_choices[position])) if i != genes[position]]
            genes[position] = rng.choice(options)
        return self.from_genes(genes)

    def crossover(
        self, first: Architecture | str, second: Architecture | str,
        seed: int | random.Random | None = None,
    ) -> Architecture:
        """Uniform crossover: each gene from either parent with equal chance."""
        rng = as_rng(seed)
        a, b = self.genes(first), self.genes(second)
        return self.from_genes([x if rng.random() < 0.5 else y for x, y in zip(a, b, strict=True)])

    def neighbours(self, arch: Architecture | str) -> list[Architecture]:
        """Every architecture that differs from `arch` in exactly one gene."""
        genes = self.genes(arch)
        out = []
        for position, choices in enumerate(self.gene_choices):
            for option in range(len(choices)):
                if option != genes[position]:
                    changed = list(genes)
                    changed[position] = option
                    out.append(self.from_genes(changed))
        return out

    def to_torch(
        self,
        arch: Architecture | str,
        input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None,
        **options: Any,
    ) -> torch.nn.Module:
        """The torch network of `arch` for inputs of shape (C, H, W)."""
        shape = tuple(input_shape) if input_shape is not None else self.default_input_shape
        if len(shape) != 3 or any(int(d) <= 0 for d in shape):
            raise InvalidArchitectureError(
                f"input_shape must be (channels, height, width) with positive sizes, got {shape}"
            )
        classes = self.default_num_classes if num_classes is None else int(num_classes)
        if classes <= 0:
            raise InvalidArchitectureError(f"num_classes must be positive, got {classes}")
        return self._build_torch(
            self.genes(arch), (int(shape[0]), int(shape[1]), int(shape[2])), classes, **options
        )
