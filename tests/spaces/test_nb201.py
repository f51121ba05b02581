from __future__ import annotations

import itertools

import pandas as pd
import pytest
import torch

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces import NasBench201Space, create_space, list_spaces
from hwnas.spaces.nb201_grammar import live_edges, nb201_live_edges

GOOD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
SHAPES = [((3, 32, 32), 100), ((1, 52, 16), 18), ((1, 88, 88), 1)]


def test_registry_lists_nb201() -> None:
    assert "nb201" in list_spaces()
    assert isinstance(create_space("nb201"), NasBench201Space)


def test_parse_format_round_trip_over_the_whole_space(nb201) -> None:
    strings = [a.string for a in nb201.enumerate()]
    assert len(strings) == len(set(strings)) == nb201.size == 15625
    for string in strings[::7]:
        parsed = nb201.parse(string)
        assert parsed.string == string
        assert nb201.from_genes(nb201.genes(parsed)) == parsed


def test_parse_accepts_surrounding_whitespace_and_architecture_objects(nb201) -> None:
    assert nb201.parse(f"  {GOOD}\n").string == GOOD
    assert nb201.parse(Architecture("nb201", GOOD)).string == GOOD


@pytest.mark.parametrize(
    ("string", "fragment"),
    [
        ("", "character 0 (0-based): empty string"),
        ("|none~0|+|none~0|none~1|", "2 nodes separated by '+', need 3"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|conv~2|", "character 40 (0-based): unknown op 'conv' in token 'conv~2'"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "token 'none~2' reads node '2', must read node 1"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 has 1 inputs, needs 2"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "token 'none0' lacks '~input'"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 'none~0|' must be written |op~i|...|"),
    ],
)
def test_malformed_strings_name_token_and_position(nb201, string: str, fragment: str) -> None:
    with pytest.raises(InvalidArchitectureError) as info:
        nb201.parse(string)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_wrong_space_and_type_are_rejected(nb201) -> None:
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'fbnet'"):
        nb201.parse(Architecture("fbnet", GOOD))
    with pytest.raises(InvalidArchitectureError, match="got int"):
        nb201.parse(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArchitectureError, match="needs 6 genes"):
        nb201.from_genes([0, 1])
    with pytest.raises(InvalidArchitectureError, match="must be in 0..4"):
        nb201.from_genes([0, 0, 0, 0, 0, 9])


def test_isomorphism_classes_match_measured_as(nb201, data_dir) -> None:
    accuracy = pd.read_csv(data_dir / "nb201" / "accuracy.csv", usecols=["arch_index", "arch"])
    measured = pd.read_csv(
        data_dir / "nb201" / "pi5_latency_energy.csv.gz", usecols=["arch_index", "measured_as"]
    ).drop_duplicates("arch_index")
    frame = accuracy.merge(measured, on="arch_index")
    frame["key"] = [nb201.isomorphism_key(s) for s in frame["arch"]]
    assert frame["key"].nunique() == 6466
    assert frame["measured_as"].nunique() == 6466
    # Same partition: each class maps to one measured_as value and vice versa.
    assert frame.groupby("key")["measured_as"].nunique().max() == 1
    assert frame.groupby("measured_as")["key"].nunique().max() == 1


def test_unique_representatives_cover_every_class(nb201) -> None:
    unique = nb201.unique()
    assert len(unique) == 6466
    assert len({nb201.isomorphism_key(a) for a in unique}) == 6466
    for arch in nb201.sample(50, seed=3):
        representative = nb201.canonical(arch)
        assert nb201.isomorphism_key(representative) == nb201.isomorphism_key(arch)
        assert representative in unique


def test_known_isomorphisms(nb201) -> None:
    # The dead conv on node 1 -> node 2 feeds only `none` edges: it does not change the output.
    a = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|")
    b = nb201.parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert nb201.isomorphism_key(a) == nb201.isomorphism_key(b)
    c = nb201.parse("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    assert nb201.isomorphism_key(b) != nb201.isomorphism_key(c)


def test_sample_mutate_crossover_neighbours(nb201) -> None:
    first = nb201.sample(20, seed=1)
    assert first == nb201.sample(20, seed=1)
    assert first != nb201.sample(20, seed=2)
    arch = first[0]
    for seed in range(10):
        mutated = nb201.mutate(arch, seed=seed)
        assert sum(x != y for x, y in zip(nb201.genes(arch), nb201.genes(mutated))) == 1
        child = nb201.crossover(arch, first[1], seed=seed)
        assert all(c in (x, y) for c, x, y in zip(nb201.genes(child), nb201.genes(arch), nb201.genes(first[1])))
    neighbours = nb201.neighbours(arch)
    assert len(neighbours) == 6 * 4 == len(set(neighbours))
    assert arch not in neighbours


def _count_macs(model: torch.nn.Module, shape: tuple[int, int, int]) -> int:
    total = 0

    def hook(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            kernel = module.weight[0].numel()  # c_in/groups * kh * kw
            total += output.numel() * kernel
        elif isinstance(module, torch.nn.Linear):
            total += module.in_features * module.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))
    for handle in handles:
        handle.remove()
    return total


@pytest.mark.parametrize("prune", [False, True])
def test_exact_params_and_macs_match_the_torch_network(nb201, prune: bool) -> None:
    archs = nb201.sample(6, seed=11) + [nb201.parse(GOOD)]
    for arch, (shape, classes) in itertools.product(archs, SHAPES):
        model = nb201.to_torch(arch, shape, classes, prune=prune)
        cost = nb201.cost(arch, shape, classes, prune=prune)
        assert cost.params == sum(p.numel() for p in model.parameters())
        assert cost.macs == _count_macs(model, shape)
        assert cost.flops == 2 * cost.macs


def test_hand_computed_cost_of_the_empty_cell(nb201) -> None:
    empty = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    cost = nb201.cost(empty, (3, 32, 32), 10)
    stem = 3 * 16 * 9 + 32
    reduction1 = 16 * 32 * 9 + 64 + 32 * 32 * 9 + 64 + 16 * 32
    reduction2 = 32 * 64 * 9 + 128 + 64 * 64 * 9 + 128 + 32 * 64
    assert cost.params == stem + reduction1 + reduction2 + 128 + 64 * 10 + 10
    macs = 32 * 32 * 16 * 27 + 16 * 16 * 32 * (16 * 9 + 32 * 9 + 16) + 8 * 8 * 64 * (32 * 9 + 64 * 9 + 32) + 640
    assert cost.macs == macs


def test_to_torch_runs_all_three_input_shapes(nb201) -> None:
    for shape, classes in SHAPES:
        model = nb201.to_torch(GOOD, shape, classes)
        with torch.no_grad():
            assert model.eval()(torch.randn(2, *shape)).shape == (2, classes)


def test_vectorised_live_edges_match_the_space_on_all_15625_cells() -> None:
    import numpy as np

    genes = np.array(list(itertools.product(range(5), repeat=6)))
    expected = np.array([live_edges(tuple(g)) for g in genes])
    assert np.array_equal(nb201_live_edges(genes), expected)


def _pruned_with_same_weights(nb201, arch, full):
    from hwnas.export._weights import pruned_key_mapping

    pruned = nb201.to_torch(arch, (3, 32, 32), 10, prune=True)
    full_state = full.state_dict()
    mapping = pruned_key_mapping(nb201, arch, pruned)
    pruned.load_state_dict({k: full_state[v] for k, v in mapping.items()})
    return pruned


def test_pruned_network_computes_the_same_function(nb201) -> None:
    from hwnas.toolchain import reinitialize_weights

    archs = nb201.sample(25, seed=4) + [
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
        # Node 1 is zero, but a conv of it is BatchNorm's shift: that edge must stay.
        "|none~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
    ]
    x = torch.randn(3, 3, 32, 32)
    for seed, arch in enumerate(archs):
        full = reinitialize_weights(nb201.to_torch(arch, (3, 32, 32), 10), (3, 32, 32), seed=seed)
        pruned = _pruned_with_same_weights(nb201, arch, full)
        with torch.no_grad():
            assert torch.allclose(full.eval()(x), pruned.eval()(x), atol=1e-5), arch
    assert nb201.live_edges(archs[-1]) == (False, False, True, True, False, True)


def test_bad_input_shape_is_a_clear_error(nb201) -> None:
    with pytest.raises(InvalidArchitectureError, match="divisible by 4"):
        nb201.to_torch(GOOD, (1, 85, 85), 1)
    with pytest.raises(InvalidArchitectureError, match="channels, height, width"):
        nb201.to_torch(GOOD, (32, 32), 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArchitectureError, match="num_classes must be positive"):
        nb201.to_torch(GOOD, (3, 32, 32), 0)
