"""The shared search-space suite: every check a registered space must pass.

A plugin author runs it on their space in their own tests:

    from hwnas.testing import SPACE_CHECKS
    @pytest.mark.parametrize("check", SPACE_CHECKS, ids=lambda c: c.__name__)
    def test_my_space(check):
        check(MySpace())

Each check takes a `SearchSpace` (or a registered name) and raises AssertionError with
the architecture that failed. Counts are small so a space runs in a few seconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces import SearchSpace, create_space

if TYPE_CHECKING:
    import torch

SpaceCheck = Callable[[SearchSpace | str], None]


def _sample(space: SearchSpace, count: int, seed: int) -> list[Architecture]:
    archs = space.sample(count, seed=seed)
    assert len(archs) == count, f"{space.name}: sample({count}) gave {len(archs)}"
    return archs


def _is_member(space: SearchSpace, arch: Architecture) -> None:
    """`arch` belongs to `space`, is canonical, and its genes are in range."""
    assert isinstance(arch, Architecture), f"{space.name}: expected an Architecture, got {arch!r}"
    assert arch.space == space.name, f"{arch} belongs to {arch.space!r}, not {space.name!r}"
    assert space.parse(arch.string) == arch, f"{space.name}: {arch.string!r} is not canonical"
    genes = space.genes(arch)
    assert len(genes) == len(space.gene_choices), f"{space.name}: {arch.string!r} gene count"
    for position, (gene, choices) in enumerate(zip(genes, space.gene_choices, strict=True)):
        assert 0 <= gene < len(choices), f"{space.name}: gene {position} of {arch.string!r}"


def check_parse_format_round_trip(space: SearchSpace | str, count: int = 20) -> None:
    """String -> genes -> string is the identity on canonical strings; so are
    Architecture objects, surrounding whitespace and `from_genes(genes(a))`."""
    space = create_space(space)
    assert space.name and space.gene_choices, "a space declares `name` and `gene_choices`"
    assert all(len(c) >= 1 for c in space.gene_choices), f"{space.name}: an empty gene"
    for arch in _sample(space, count, seed=0):
        assert space.parse(arch.string) == arch, f"{space.name}: {arch.string!r} parses to another"
        assert space.parse(arch) == arch
        assert space.parse(f"  {arch.string}\n") == arch, f"{space.name}: whitespace not stripped"
        assert space.from_genes(space.genes(arch)) == arch, f"{space.name}: genes of {arch}"
        assert space._encode(space._decode(arch.string)) == arch.string


def check_malformed_strings_are_refused(space: SearchSpace | str) -> None:
    """Garbage and other spaces' architectures raise InvalidArchitectureError, on one line."""
    space = create_space(space)
    good = space.sample(1, seed=0)[0].string
    for bad in ("", "\x00not an architecture\x00", good + "\x00"):
        try:
            space.parse(bad)
        except InvalidArchitectureError as error:
            assert "\n" not in str(error), f"{space.name}: a multi-line error for {bad!r}"
        else:
            raise AssertionError(f"{space.name} accepted the malformed string {bad!r}")
    try:
        space.parse(Architecture(f"not-{space.name}", good))
    except InvalidArchitectureError:
        pass
    else:
        raise AssertionError(f"{space.name} accepted an architecture of another space")


def check_operators_stay_in_the_space(space: SearchSpace | str, count: int = 10) -> None:
    """sample, mutate, crossover and neighbours give valid, canonical architectures;
    the same seed gives the same result."""
    space = create_space(space)
    archs = _sample(space, count, seed=1)
    assert archs == space.sample(count, seed=1), f"{space.name}: sample is not seeded"
    for index, arch in enumerate(archs):
        _is_member(space, arch)
        other = archs[(index + 1) % len(archs)]
        mutated = space.mutate(arch, seed=index)
        _is_member(space, mutated)
        assert mutated == space.mutate(arch, seed=index), f"{space.name}: mutate is not seeded"
        changed = sum(
            a != b for a, b in zip(space.genes(arch), space.genes(mutated), strict=True)
        )
        assert changed == 1 or all(len(c) == 1 for c in space.gene_choices), (
            f"{space.name}: mutate changed {changed} genes of {arch.string!r}, not 1"
        )
        child = space.crossover(arch, other, seed=index)
        _is_member(space, child)
        for gene, a, b in zip(
            space.genes(child), space.genes(arch), space.genes(other), strict=True
        ):
            assert gene in (a, b), f"{space.name}: crossover invented a gene"
    for arch in archs[:2]:
        neighbours = space.neighbours(arch)
        expected = sum(len(c) - 1 for c in space.gene_choices)
        assert len(neighbours) == len(set(neighbours)) == expected, (
            f"{space.name}: {len(neighbours)} neighbours of {arch.string!r}, expected {expected}"
        )
        assert arch not in neighbours
        for neighbour in neighbours:
            assert space.parse(neighbour.string) == neighbour


def check_isomorphism_key_is_stable(space: SearchSpace | str, count: int = 20) -> None:
    """The isomorphism key is a string that does not depend on how the architecture was
    given, and a space's `canonical` representative (when it has one) shares it."""
    space = create_space(space)
    for arch in _sample(space, count, seed=2):
        key = space.isomorphism_key(arch)
        assert isinstance(key, str) and key, f"{space.name}: empty isomorphism key"
        assert key == space.isomorphism_key(arch.string) == space.isomorphism_key(
            space.parse(arch.string)
        ), f"{space.name}: the key of {arch.string!r} depends on how it is given"
        canonical = getattr(space, "canonical", None)
        if callable(canonical):
            representative = canonical(arch)
            assert space.isomorphism_key(representative) == key, (
                f"{space.name}: canonical({arch.string!r}) has another isomorphism key"
            )
            assert canonical(representative) == representative, "canonical is not idempotent"


def check_features_are_finite_and_aligned(space: SearchSpace | str, count: int = 5) -> None:
    """`features` and `graph_features` give finite numbers with the same names / length
    for every architecture (surrogates stack them into matrices)."""
    space = create_space(space)
    names: list[str] | None = None
    width: int | None = None
    for arch in _sample(space, count, seed=3):
        features = space.features(arch)
        assert all(math.isfinite(float(v)) for v in features.values()), f"{arch}: features"
        names = names or sorted(features)
        assert sorted(features) == names, f"{space.name}: feature names vary"
        extra = tuple(space.graph_features(arch))
        assert all(math.isfinite(float(v)) for v in extra), f"{arch}: graph_features"
        width = len(extra) if width is None else width
        assert len(extra) == width, f"{space.name}: graph_features length varies"


def check_llm_hooks(space: SearchSpace | str, count: int = 20) -> None:
    """`describe()` is text; `string_pattern`, when declared, matches every architecture
    (constrained decoding could otherwise never write some of them)."""
    space = create_space(space)
    text = space.describe()
    assert isinstance(text, str) and text.strip(), f"{space.name}: describe() is empty"
    if space.string_pattern is not None:
        pattern = re.compile(space.string_pattern)
        for arch in _sample(space, count, seed=4):
            assert pattern.fullmatch(arch.string), (
                f"{space.name}: string_pattern does not match {arch.string!r}"
            )


def check_factors_are_consistent(space: SearchSpace | str, count: int = 20) -> None:
    """The space declares its factors (name -> description); every one-gene change belongs
    to declared factors; the diff of an architecture with itself is empty; a scoped mutation
    of factor F changes F alone, is seeded and stays in the space; every factor can move
    some sampled architecture; `positions_named` finds each gene's own name;
    `infeasibility` answers None or one line."""
    space = create_space(space)
    factors = space.factors()
    assert factors and all(isinstance(k, str) and k and isinstance(v, str) and v.strip()
                           for k, v in factors.items()), f"{space.name}: factors() {factors!r}"
    names = space.gene_names()
    assert len(names) == len(space.gene_choices), f"{space.name}: gene_names() length"
    for position, name in enumerate(names):
        assert space.positions_named(f"changed {name}: a -> b") == {position}, \
            f"{space.name}: positions_named does not find {name!r}"
    moved = dict.fromkeys(factors, 0)
    for arch in _sample(space, count, seed=6):
        assert not space.changed_factors(arch, arch) and not space.changed_positions(arch, arch)
        genes = space.genes(arch)
        for neighbour in space.neighbours(arch)[:: max(1, len(space.gene_choices) // 3)]:
            (position,) = space.changed_positions(arch, neighbour)
            touched = space.gene_change_factors(position, genes[position],
                                                space.genes(neighbour)[position])
            assert touched and touched <= set(factors), \
                f"{space.name}: change at {names[position]} touches {set(touched)}"
            assert space.changed_factors(arch, neighbour) == touched
            assert space.changed_factors(neighbour, arch) == touched, \
                f"{space.name}: the diff is not symmetric at {names[position]}"
        reason = space.infeasibility(arch)
        assert reason is None or (isinstance(reason, str) and "\n" not in reason), \
            f"{space.name}: infeasibility({arch.string!r}) = {reason!r}"
        for factor in factors:
            child = space.scoped_mutation(arch, factor, seed=3, edits=2)
            if child is None:
                assert not space.factor_moves(arch, factor), \
                    f"{space.name}: no {factor} mutation of {arch.string!r} though moves exist"
                continue
            moved[factor] += 1
            _is_member(space, child)
            assert space.changed_factors(arch, child) == {factor}, (
                f"{space.name}: a {factor} mutation of {arch.string!r} touched "
                f"{set(space.changed_factors(arch, child))}")
            assert space.scoped_mutation(arch, factor, seed=3, edits=2) == child, \
                f"{space.name}: scoped_mutation is not seeded"
    dead = [f for f, n in moved.items() if n == 0]
    assert not dead, f"{space.name}: no sampled architecture can move factor(s) {dead}"


def _forward(model: torch.nn.Module, shape: tuple[int, ...], batch: int = 2) -> torch.Tensor:
    import torch

    torch.manual_seed(0)
    with torch.no_grad():
        return model.eval()(torch.randn(batch, *shape))


def check_torch_forward(space: SearchSpace | str, count: int = 2) -> None:
    """The torch network runs a batch of the space's default input and gives one finite
    score per class."""
    import torch

    space = create_space(space)
    shape = space.default_input_shape
    for arch in _sample(space, count, seed=5):
        model = space.to_torch(arch)
        assert isinstance(model, torch.nn.Module), f"{space.name}: to_torch gave {type(model)}"
        out = _forward(model, shape)
        assert tuple(out.shape) == (2, space.default_num_classes), (
            f"{space.name}: output shape {tuple(out.shape)} for {arch.string!r}"
        )
        assert torch.isfinite(out).all(), f"{space.name}: non-finite output for {arch.string!r}"


def check_cost_matches_network(space: SearchSpace | str, count: int = 3) -> None:
    """Where the space has a cost model (`cost(arch)`), its parameter count equals the
    torch network's and its MACs equal the convolutions' and linear layers' MACs."""
    from hwnas.proxies import count_macs

    space = create_space(space)
    cost_of: Any = getattr(space, "cost", None)
    if not callable(cost_of):
        return
    for arch in _sample(space, count, seed=6):
        cost = cost_of(arch)
        model = space.to_torch(arch)
        params = sum(p.numel() for p in model.parameters())
        assert cost.params == params, (
            f"{space.name}: cost says {cost.params} parameters, the network has {params} "
            f"({arch.string!r})"
        )
        macs = count_macs(model, space.default_input_shape)
        assert cost.macs == macs, (
            f"{space.name}: cost says {cost.macs} MACs, the network does {macs} ({arch.string!r})"
        )
        assert cost.flops == 2 * cost.macs


def check_onnx_export_matches_torch(space: SearchSpace | str, count: int = 1) -> None:
    """The network exported to ONNX computes what torch computes (weights re-initialised so
    that outputs depend on the input), within the export check's tolerance."""
    from hwnas.export import (
        DEFAULT_TOLERANCE,
        export_onnx,
        max_abs_error_vs_torch,
        reinitialize_weights,
    )

    space = create_space(space)
    shape = space.default_input_shape
    for index, arch in enumerate(_sample(space, count, seed=7)):
        model = reinitialize_weights(space.to_torch(arch), shape, seed=index)
        error = max_abs_error_vs_torch(model, export_onnx(model, shape), shape, seed=index)
        assert error <= DEFAULT_TOLERANCE, (
            f"{space.name}: ONNX differs from torch by {error} for {arch.string!r}"
        )


def check_latency_blocks(space: SearchSpace | str, count: int = 5, built: int = 4) -> None:
    """Where the space declares latency-table blocks: the keys are unique strings, a few
    blocks build and run on their input shape, and `latency_sum` reads only those keys and
    gives one finite, positive sum per architecture."""
    import numpy as np

    space = create_space(space)
    shape, classes = space.default_input_shape, space.default_num_classes
    blocks = space.latency_blocks(shape, classes)
    if blocks is None:
        return
    assert blocks, f"{space.name}: latency_blocks is empty"
    for key, block in blocks.items():
        assert isinstance(key, str) and key == block.key, f"{space.name}: block key {key!r}"
        assert len(block.input_shape) == 3, f"{space.name}: block {key} input shape"
    for block in list(blocks.values())[:built]:
        _forward(block.build(), block.input_shape, batch=1)
    latency = {key: 1.0 + index % 7 for index, key in enumerate(blocks)}
    genes = np.array([space.genes(a) for a in _sample(space, count, seed=8)], dtype=np.int64)
    total = space.latency_sum(genes, latency.__getitem__, shape, classes)
    assert total is not None, f"{space.name}: latency_blocks without latency_sum"
    assert np.shape(total) == (count,) and np.all(np.isfinite(total)) and np.all(total > 0), (
        f"{space.name}: latency_sum gave {total}"
    )


SPACE_CHECKS: tuple[SpaceCheck, ...] = (
    check_parse_format_round_trip,
    check_malformed_strings_are_refused,
    check_operators_stay_in_the_space,
    check_isomorphism_key_is_stable,
    check_features_are_finite_and_aligned,
    check_llm_hooks,
    check_factors_are_consistent,
    check_torch_forward,
    check_cost_matches_network,
    check_onnx_export_matches_torch,
    check_latency_blocks,
)


def check_space(space: SearchSpace | str) -> None:
    """Every check of the shared space suite, in order."""
    for check in SPACE_CHECKS:
        check(space)
