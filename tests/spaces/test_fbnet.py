"""The FBNet-style space: grammar, layout, shared operators, cost, torch and ONNX."""

from __future__ import annotations

import pytest

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces import FBNetSpace, create_space, list_spaces
from hwnas.spaces.fbnet_grammar import BLOCKS

ALL_K3E6 = "-".join(["k3_e6"] * 22)


@pytest.fixture(scope="module")
def fbnet():
    return create_space("fbnet")


def test_registered_with_22_layers_of_9_blocks(fbnet):
    assert "fbnet" in list_spaces()
    assert len(fbnet.gene_choices) == 22
    assert all(choices == BLOCKS for choices in fbnet.gene_choices)
    assert len(BLOCKS) == 9 and fbnet.size == 9**22


def test_strings_round_trip_and_bad_ones_say_what_is_wrong(fbnet):
    arch = fbnet.parse(ALL_K3E6)
    assert arch.string == ALL_K3E6 and fbnet.genes(arch) == (3,) * 22
    with pytest.raises(InvalidArchitectureError, match="22 blocks"):
        fbnet.parse("k3_e6-k3_e6")
    with pytest.raises(InvalidArchitectureError, match="unknown fbnet block 'k7_e6' at layer 1"):
        fbnet.parse("-".join(["k3_e6", "k7_e6"] + ["skip"] * 20))


def test_sample_mutate_crossover_stay_in_the_space(fbnet):
    archs = fbnet.sample(20, seed=3)
    assert len({a.string for a in archs}) == 20
    child = fbnet.mutate(archs[0], seed=1, edits=3)
    assert sum(a != b for a, b in zip(fbnet.genes(child), fbnet.genes(archs[0]), strict=True)) == 3
    mixed = fbnet.crossover(archs[0], archs[1], seed=2)
    assert all(
        g in (a, b)
        for g, a, b in zip(
            fbnet.genes(mixed), fbnet.genes(archs[0]), fbnet.genes(archs[1]), strict=True
        )
    )
    assert fbnet.sample(5, seed=7) == fbnet.sample(5, seed=7)


def test_layout_matches_hw_nas_bench():
    cifar = FBNetSpace("cifar").layers()
    assert [layer.c_out for layer in cifar][::4] == [16, 24, 32, 64, 112, 184]
    assert (cifar[-1].out_height, cifar[-1].c_out) == (4, 352)  # 32 -> 16 -> 8 -> 4
    imagenet = FBNetSpace("imagenet").layers()
    assert (imagenet[0].height, imagenet[-1].out_height) == (112, 7)
    with pytest.raises(InvalidArchitectureError, match="layouts: cifar, imagenet"):
        FBNetSpace("mnist")


def test_exact_cost_equals_the_torch_parameter_count(fbnet):
    for arch in fbnet.sample(3, seed=11) + [Architecture("fbnet", ALL_K3E6)]:
        model = fbnet.to_torch(arch)
        cost = fbnet.cost(arch)
        assert cost.params == sum(p.numel() for p in model.parameters())
        assert cost.macs > 0 and cost.flops == 2 * cost.macs


def test_block_keys_leave_out_identity_skips(fbnet):
    all_skip = "-".join(["skip"] * 22)
    keys = fbnet.block_keys(all_skip)
    # only the layers that change width or stride need a projection
    assert len(keys) == 6 and all(k.startswith("skip_") for k in keys)
    assert fbnet.block_keys(ALL_K3E6)[1] == "ir_k3_e6_c16_o24_s1_i32"


def test_onnx_export_matches_torch(fbnet):
    import torch

    from hwnas.toolchain import export_onnx, max_abs_error_vs_torch, reinitialize_weights

    torch.set_num_threads(1)
    shape = (3, 16, 16)
    for arch in [
        fbnet.parse("-".join(["k5_e1_g2", "k3_e3", "skip"] * 7 + ["k5_e6"])),
        fbnet.sample(1, seed=4)[0],
    ]:
        model = reinitialize_weights(fbnet.to_torch(arch, shape, 10), shape)
        error = max_abs_error_vs_torch(model, export_onnx(model, shape), shape)
        assert error < 1e-4, (arch.string, error)
