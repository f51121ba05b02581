"""The shared proxy suite: every registered proxy, on a tiny module and an nb201 cell."""

from __future__ import annotations

import math

import pytest
import torch

from hwnas.proxies import ProxyResult, create_proxy, list_proxies

ALL = list_proxies()
CHEAP_ARCH = (
    "|avg_pool_3x3~0|+"
    "|skip_connect~0|nor_conv_1x1~1|+|none~0|skip_connect~1|avg_pool_3x3~2|"
)


def test_registry_holds_the_issue_proxies() -> None:
    required = {"synflow", "jacob_cov", "snip", "grad_norm", "fisher", "grasp", "params",
                "flops", "zen", "meco", "naswot"}
    assert required <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_proxy_on_module_is_finite_timed_and_deterministic(name: str, tiny_net) -> None:
    proxy = create_proxy(name, batch_size=8)
    before = {k: v.clone() for k, v in tiny_net.state_dict().items()}
    first = proxy.score(tiny_net, seed=3)
    second = proxy.score(tiny_net, seed=3)
    assert isinstance(first, ProxyResult)
    assert first.proxy == name and first.seconds >= 0 and math.isfinite(first.value)
    assert first.value == second.value
    for key, value in tiny_net.state_dict().items():  # the caller's module is left alone
        assert torch.equal(value, before[key]), key
    assert (first.data.startswith("sklearn-digits")) == proxy.uses_images


@pytest.mark.parametrize("name", ALL)
def test_proxy_on_nb201_architecture_is_deterministic_per_seed(name: str) -> None:
    proxy = create_proxy(name, batch_size=4)
    result = proxy.score(CHEAP_ARCH, seed=0, space="nb201")
    again = proxy.score(CHEAP_ARCH, seed=0, space="nb201")
    assert result.value == again.value
    assert result.arch_id is not None and len(result.arch_id) == 16
    if name not in ("params", "flops"):  # another seed: other weights or another batch
        assert proxy.score(CHEAP_ARCH, seed=1, space="nb201").value != result.value


def test_unknown_proxy_lists_known_ones() -> None:
    from hwnas.core import UnknownPluginError

    with pytest.raises(UnknownPluginError, match="synflow"):
        create_proxy("synflo")


def test_architecture_without_space_says_how_to_fix() -> None:
    from hwnas.core import ConfigError

    with pytest.raises(ConfigError, match="space='nb201'"):
        create_proxy("params").score(CHEAP_ARCH)


def test_shared_gradient_pass_gives_the_values_of_separate_calls() -> None:
    from hwnas.proxies import score_architectures

    names = ["fisher", "grad_norm", "snip"]
    together = score_architectures([CHEAP_ARCH], names, seed=2)[0]
    for name in names:
        alone = create_proxy(name).score(CHEAP_ARCH, seed=2, space="nb201")
        assert together[name].value == alone.value
