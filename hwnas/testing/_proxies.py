"""The shared zero-cost proxy suite: what every registered proxy must do.

    from hwnas.testing import check_proxy_on_module, check_proxy_on_architecture
    def test_my_proxy():
        check_proxy_on_module(MyProxy(batch_size=8))
        check_proxy_on_architecture(MyProxy(batch_size=4))
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hwnas.proxies import Proxy, ProxyResult, create_proxy
from hwnas.spaces import SearchSpace

if TYPE_CHECKING:
    import torch

# A cheap NAS-Bench-201 cell (one 1x1 convolution): every proxy scores it in well under 1 s.
CHEAP_NB201_ARCH = (
    "|avg_pool_3x3~0|+"
    "|skip_connect~0|nor_conv_1x1~1|+|none~0|skip_connect~1|avg_pool_3x3~2|"
)


@lru_cache(maxsize=1)
def _tiny_class() -> type:
    from torch import nn

    class TinyNet(nn.Module):
        """Conv-BN-ReLU, conv-BN-ReLU, global pool, linear: fast enough for every proxy."""

        def __init__(self, num_classes: int = 10, width: int = 8) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width), nn.ReLU(),
            )
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(width, num_classes)

        def forward(self, x: Any) -> Any:
            import torch

            return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    return TinyNet


def tiny_network(num_classes: int = 10, width: int = 8) -> torch.nn.Module:
    """A small image classifier for 3-channel inputs (weights from torch's current seed)."""
    return _tiny_class()(num_classes, width)  # type: ignore[no-any-return]


def _proxy(proxy: Proxy | str, batch_size: int) -> Proxy:
    return create_proxy(proxy, batch_size=batch_size) if isinstance(proxy, str) else proxy


def check_proxy_on_module(
    proxy: Proxy | str, module: torch.nn.Module | None = None, batch_size: int = 8
) -> ProxyResult:
    """A score of a torch module is a finite, timed ProxyResult that names the proxy and
    its data, is the same for the same seed, and leaves the caller's module untouched."""
    import torch

    proxy = _proxy(proxy, batch_size)
    if module is None:
        torch.manual_seed(0)
        module = tiny_network()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    first = proxy.score(module, seed=3)
    second = proxy.score(module, seed=3)
    assert isinstance(first, ProxyResult), f"{proxy.name}: score gave {type(first).__name__}"
    assert first.proxy == proxy.name, f"{proxy.name}: result names {first.proxy!r}"
    assert first.seconds >= 0 and math.isfinite(first.value), f"{proxy.name}: {first}"
    assert first.value == second.value, f"{proxy.name}: {first.value} then {second.value}"
    for key, value in module.state_dict().items():
        assert torch.equal(value, before[key]), f"{proxy.name} changed the caller's {key}"
    assert first.data.startswith("sklearn-digits") == proxy.uses_images, (
        f"{proxy.name}: data label {first.data!r} but uses_images={proxy.uses_images}"
    )
    return first


def check_proxy_on_architecture(
    proxy: Proxy | str,
    arch: str = CHEAP_NB201_ARCH,
    space: SearchSpace | str = "nb201",
    seed_sensitive: bool | None = None,
    batch_size: int = 4,
) -> ProxyResult:
    """A score of an architecture carries its id and is the same for the same seed; a
    proxy that sees random weights or inputs (`seed_sensitive`, by default every proxy
    whose `noise_label` is not "none") gives another value for another seed."""
    proxy = _proxy(proxy, batch_size)
    result = proxy.score(arch, seed=0, space=space)
    again = proxy.score(arch, seed=0, space=space)
    assert result.value == again.value, f"{proxy.name}: {result.value} then {again.value}"
    assert result.arch_id is not None and len(result.arch_id) == 16, (
        f"{proxy.name}: arch_id {result.arch_id!r}"
    )
    if seed_sensitive is None:
        seed_sensitive = proxy.noise_label != "none"
    if seed_sensitive:
        other = proxy.score(arch, seed=1, space=space).value
        assert other != result.value, f"{proxy.name}: seeds 0 and 1 both gave {other}"
    return result


PROXY_CHECKS = (check_proxy_on_module, check_proxy_on_architecture)
