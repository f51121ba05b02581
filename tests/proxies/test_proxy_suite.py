"""Every registered proxy through the shared suite (`hwnas.testing`), on a tiny module and
an nb201 cell."""

from __future__ import annotations

import pytest

from hwnas.proxies import create_proxy, list_proxies
from hwnas.testing import CHEAP_NB201_ARCH, check_proxy_on_architecture, check_proxy_on_module

ALL = list_proxies()
CHEAP_ARCH = CHEAP_NB201_ARCH


def test_registry_holds_the_issue_proxies() -> None:
    required = {"synflow", "jacob_cov", "snip", "grad_norm", "fisher", "grasp", "params",
                "flops", "zen", "meco", "naswot"}
    assert required <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_proxy_on_module_is_finite_timed_and_deterministic(name: str, tiny_net) -> None:
    check_proxy_on_module(create_proxy(name, batch_size=8), tiny_net)


@pytest.mark.parametrize("name", ALL)
def test_proxy_on_nb201_architecture_is_deterministic_per_seed(name: str) -> None:
    # params and flops read neither weights nor inputs: another seed cannot change them
    check_proxy_on_architecture(
        create_proxy(name, batch_size=4), CHEAP_ARCH, "nb201",
        seed_sensitive=name not in ("params", "flops"),
    )


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
