"""Each proxy against a hand-checkable value or a known ordering."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from proxy_helpers import ArrayData
from torch import nn

from hwnas.proxies import create_proxy
from hwnas.spaces import create_space
from hwnas.testing import tiny_network

ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
ALL_SKIP = (
    "|skip_connect~0|+"
    "|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
)
ALL_CONV = (
    "|nor_conv_3x3~0|+"
    "|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


def _linear_net(first: list[list[float]], second: list[list[float]]) -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 3, bias=False), nn.Linear(3, 1, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor(first))
        net[2].weight.copy_(torch.tensor(second))
    return net


def test_synflow_two_layer_linear_by_hand() -> None:
    # R = 1^T |W2| |W1| 1 = |1|*3 + |1|*7 + |-1|*1 = 11; each layer's synaptic flow sums to R.
    net = _linear_net([[1, -2], [3, 4], [0, 1]], [[1, 1, -1]])
    value = create_proxy("synflow").score(net, data=ArrayData((2, 1, 1), classes=1)).value
    assert value == pytest.approx(22.0)


def test_synflow_orders_none_below_skip_below_conv() -> None:
    synflow = create_proxy("synflow")
    values = [synflow.score(a, space="nb201").value for a in (ALL_NONE, ALL_SKIP, ALL_CONV)]
    assert values[0] < values[1] < values[2]


def test_params_and_flops_exact_for_nb201_and_counted_for_modules() -> None:
    space = create_space("nb201")
    cost = space.cost(ALL_CONV)
    assert create_proxy("params").score(ALL_CONV, space=space).value == cost.params
    assert create_proxy("flops").score(ALL_CONV, space=space).value == cost.flops
    torch.manual_seed(0)
    module = space.to_torch(ALL_CONV)  # the module path must count the same network
    assert create_proxy("params").score(module).value == cost.params
    assert create_proxy("flops").score(module).value == cost.flops


def test_flops_and_params_of_one_conv_by_hand() -> None:
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    assert create_proxy("params").score(conv).value == 4 * 3 * 9
    assert create_proxy("flops").score(conv).value == 2 * 32 * 32 * 4 * 3 * 9


def test_jacob_cov_of_a_linear_network_by_hand() -> None:
    # Every image has the same input Jacobian: correlation all ones, eigenvalues (N, 0, ...).
    batch, k = 8, 1e-5
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 5))
    value = create_proxy("jacob_cov", batch_size=batch).score(net).value
    expected = -((batch - 1) * (math.log(k) + 1 / k) + math.log(batch + k) + 1 / (batch + k))
    assert value == pytest.approx(expected, rel=1e-4)
    nonlinear = create_proxy("jacob_cov", batch_size=batch).score(tiny_network()).value
    assert nonlinear > value


def _cross_entropy_gradient(
    weight: np.ndarray, images: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    logits = images @ weight.T
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    probabilities[np.arange(len(labels)), labels] -= 1
    return probabilities.T @ images / len(labels)


@pytest.mark.parametrize("name", ["snip", "grad_norm"])
def test_snip_and_grad_norm_of_a_linear_classifier_by_hand(name: str) -> None:
    data = ArrayData((2, 1, 1), classes=3)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 3, bias=False))
    weight = net[1].weight.detach().double().numpy()
    images, labels = data.batch(8, seed=0)
    flat = images.reshape(8, 2).double().numpy()
    gradient = _cross_entropy_gradient(weight, flat, labels.numpy())
    expected = np.abs(weight * gradient).sum() if name == "snip" else np.linalg.norm(gradient)
    value = create_proxy(name, batch_size=8).score(net, data=data, seed=0).value
    assert value == pytest.approx(expected, rel=1e-4)


class _DeadConv(nn.Module):
    """A conv whose output is multiplied by zero: no gradient reaches it."""

    def __init__(self, live: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.live = live
        self.head = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x) if self.live else self.conv(x).mul(0.0)
        return self.head(out.mean(dim=(2, 3)))


def test_fisher_is_zero_for_a_conv_that_feeds_nothing() -> None:
    torch.manual_seed(0)
    assert create_proxy("fisher").score(_DeadConv(False)).value == 0.0
    torch.manual_seed(0)
    assert create_proxy("fisher").score(_DeadConv(True)).value > 0.0


def test_grasp_matches_a_finite_difference_hessian_product() -> None:
    data = ArrayData((2, 1, 1), classes=3)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    images, labels = data.batch(8, seed=0)
    net64 = net.double()
    weights = [net64[1].weight, net64[3].weight]

    def gradient() -> list[torch.Tensor]:
        loss = nn.functional.cross_entropy(net64(images.double()), labels)
        return [g.detach().clone() for g in torch.autograd.grad(loss, weights)]

    g = gradient()
    eps = 1e-5
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.add_(eps * d)
    plus = gradient()
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.sub_(2 * eps * d)
    minus = gradient()
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.add_(eps * d)
    expected = sum(float((-w.detach() * (p - m) / (2 * eps)).sum())
                   for w, p, m in zip(weights, plus, minus, strict=True))
    value = create_proxy("grasp", batch_size=8).score(net.float(), data=data, seed=0).value
    assert value == pytest.approx(expected, rel=1e-3, abs=1e-6)


def test_naswot_lowest_when_every_image_gives_the_same_codes() -> None:
    class Constant(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.relu = nn.ReLU()
            self.head = nn.Linear(3 * 32 * 32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.relu(x.mul(0.0) + 1.0).flatten(1))

    naswot = create_proxy("naswot", batch_size=8)
    assert naswot.score(Constant()).value == float("-inf")
    assert math.isfinite(naswot.score(tiny_network()).value)


def test_meco_is_zero_when_all_channels_are_copies() -> None:
    copies = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(),
                           nn.LazyLinear(10))
    with torch.no_grad():
        copies[0].weight.copy_(torch.randn(1, 3, 3, 3).expand(4, 3, 3, 3))
    copies(torch.zeros(1, 3, 32, 32))  # materialise the lazy layer
    assert create_proxy("meco").score(copies).value == pytest.approx(0.0, abs=1e-6)
    torch.manual_seed(0)
    assert create_proxy("meco").score(tiny_network()).value > 0.01


def test_zen_grows_with_convolutions() -> None:
    zen = create_proxy("zen", batch_size=4)
    assert zen.score(ALL_SKIP, space="nb201").value < zen.score(ALL_CONV, space="nb201").value
