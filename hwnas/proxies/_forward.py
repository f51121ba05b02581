"""Forward-only proxies (no autograd): naswot, zen, meco."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hwnas.proxies._base import Proxy, ProxyError, Subject
from hwnas.proxies._registry import PROXIES

if TYPE_CHECKING:
    import torch

    from hwnas.proxies._data import DataSource


@PROXIES.register("naswot")
class Naswot(Proxy):
    """NASWOT (Mellor et al., 2021): log-determinant of the Hamming-similarity kernel of the
    binary ReLU activation codes of a real batch."""

    name = "naswot"
    description = "log|K|, K = codes agreement of ReLU on/off patterns over a real batch"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import numpy as np
        import torch

        model = subject.module()
        images, _ = data.batch(self.batch_size, subject.seed)
        kernel = np.zeros((images.shape[0], images.shape[0]), dtype=np.float64)

        def add_codes(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            codes = (inputs[0].detach().reshape(inputs[0].shape[0], -1) > 0).double()
            kernel[:] += (codes @ codes.T + (1 - codes) @ (1 - codes).T).numpy()

        handles = [m.register_forward_hook(add_codes)
                   for m in model.modules() if isinstance(m, torch.nn.ReLU)]
        if not handles:
            raise ProxyError("naswot needs a network with torch.nn.ReLU modules")
        try:
            with torch.no_grad():
                model(images)
        finally:
            for handle in handles:
                handle.remove()
        sign, logdet = np.linalg.slogdet(kernel)
        return float(logdet) if sign > 0 else float("-inf")


def _gaussian_init(model: torch.nn.Module) -> None:
    import torch

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.normal_(module.weight)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                if module.weight is not None:
                    torch.nn.init.ones_(module.weight)
                    torch.nn.init.zeros_(module.bias)


def _feature_map(model: torch.nn.Module, inputs: torch.Tensor,
                 bn_log_scales: list[float] | None = None) -> torch.Tensor:
    """The map fed to the last global average pool (the output when there is none)."""
    import torch

    pools = [m for m in model.modules() if isinstance(m, torch.nn.AdaptiveAvgPool2d)]
    captured: list[torch.Tensor] = []
    handles = []
    if pools:
        handles.append(pools[-1].register_forward_hook(
            lambda module, args, output: captured.append(args[0])))
    if bn_log_scales is not None:
        def scale(module: torch.nn.Module, args: Any, output: Any) -> None:
            variance = float(args[0].var(dim=(0, 2, 3), unbiased=False).mean())
            if variance > 0:  # a BatchNorm fed only by zero ops carries no signal: skip it
                bn_log_scales.append(0.5 * math.log(variance))

        handles.extend(m.register_forward_hook(scale)
                       for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    try:
        output = model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return captured[-1] if captured else output


@PROXIES.register("zen")
class Zen(Proxy):
    """Zen-score (Lin et al., 2021): with Gaussian weights and Gaussian inputs x, log of
    E|f(x) - f(x + 0.01 e)| of the pre-pooling features plus the log of every BatchNorm's
    batch standard deviation. Data-free."""

    name = "zen"
    uses_images = False
    mixup = 1e-2
    description = "log E|f(x)-f(x+0.01e)| + sum log BN std, Gaussian weights and inputs"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import torch

        model = subject.module()
        _gaussian_init(model)
        inputs = data.noise(self.batch_size, subject.seed)
        generator = torch.Generator().manual_seed(subject.seed + 1)
        shifted = inputs + self.mixup * torch.randn(inputs.shape, generator=generator)
        log_scales: list[float] = []
        with torch.no_grad():
            first = _feature_map(model, inputs, log_scales)
            second = _feature_map(model, shifted)
        difference = (first - second).abs().reshape(first.shape[0], -1).sum(1).mean()
        return math.log(max(float(difference), 1e-30)) + sum(log_scales)


@PROXIES.register("meco")
class Meco(Proxy):
    """MeCo (Jiang et al., 2023): sum over convolution outputs of the smallest eigenvalue of
    the channel-by-channel Pearson correlation of one image's feature map (the first image
    of a real batch; the batch sets the BatchNorm statistics)."""

    name = "meco"
    description = "sum over conv outputs of min eigenvalue of the channel correlation matrix"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import torch

        model = subject.module()
        images, _ = data.batch(self.batch_size, subject.seed)
        values: list[float] = []

        def min_eigenvalue(module: torch.nn.Module, args: Any, output: torch.Tensor) -> None:
            features = output[0].detach().reshape(output.shape[1], -1).double()
            if features.shape[0] < 2:
                return
            correlation = torch.nan_to_num(torch.corrcoef(features), nan=0.0, posinf=0.0,
                                           neginf=0.0)
            values.append(float(torch.linalg.eigvalsh(correlation)[0]))

        handles = [m.register_forward_hook(min_eigenvalue)
                   for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
        try:
            with torch.no_grad():
                model(images)
        finally:
            for handle in handles:
                handle.remove()
        return float(sum(values))
