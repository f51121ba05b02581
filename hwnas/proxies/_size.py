"""Size proxies: parameters and FLOPs (exact from the space when it knows its cost)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hwnas.proxies._base import Proxy, Subject
from hwnas.proxies._registry import PROXIES

if TYPE_CHECKING:
    import torch

    from hwnas.proxies._data import DataSource


def _space_cost(subject: Subject) -> Any:
    cost = getattr(subject.space, "cost", None)
    if subject.architecture is None or not callable(cost):
        return None
    return cost(subject.architecture, input_shape=subject.input_shape,
                num_classes=subject.num_classes)


def count_macs(model: torch.nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of every Conv2d and Linear layer for one input."""
    import torch

    total = [0]

    def count(module: torch.nn.Module, args: Any, output: torch.Tensor) -> None:
        if isinstance(module, torch.nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            total[0] += output.numel() * (module.in_channels // module.groups) * kernel
        else:
            total[0] += output.numel() * module.in_features

    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape)))
    finally:
        for handle in handles:
            handle.remove()
    return total[0]


@PROXIES.register("params")
class Params(Proxy):
    """Trainable parameters (exact from the space's cost model for its architectures)."""

    name = "params"
    uses_images = False
    noise_label = "none"
    description = "trainable parameter count"

    def _score(self, subject: Subject, data: DataSource) -> float:
        cost = _space_cost(subject)
        if cost is not None:
            return float(cost.params)
        return float(sum(p.numel() for p in subject.module().parameters() if p.requires_grad))


@PROXIES.register("flops")
class Flops(Proxy):
    """FLOPs of one image, 2 per multiply-accumulate of convolutions and linear layers."""

    name = "flops"
    uses_images = False
    noise_label = "none"
    description = "floating-point operations per image (2 x conv/linear MACs)"

    def _score(self, subject: Subject, data: DataSource) -> float:
        cost = _space_cost(subject)
        if cost is not None:
            return float(cost.flops)
        return float(2 * count_macs(subject.module(), data.input_shape))
