"""Proxies that need a backward pass: synflow, snip, grad_norm, fisher, grasp, jacob_cov."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hwnas.proxies._base import Proxy, ProxyError, Subject
from hwnas.proxies._registry import PROXIES

if TYPE_CHECKING:
    import torch

    from hwnas.proxies._data import DataSource


def _weighted_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    import torch

    return [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


def _check_labels(logits: torch.Tensor, labels: torch.Tensor) -> None:
    if logits.ndim != 2 or int(labels.max()) >= logits.shape[1]:
        raise ProxyError(
            f"the network outputs {tuple(logits.shape)} but the data has labels up to "
            f"{int(labels.max())}: build the network with as many classes as the data"
        )


def loss_gradients(subject: Subject, data: DataSource, batch_size: int) -> dict[str, Any]:
    """One cross-entropy forward/backward on a real batch, shared by snip, grad_norm, fisher.

    Returns per-layer (weight, gradient) pairs and the fisher sum over convolution outputs.
    """

    def compute() -> dict[str, Any]:
        import torch

        model = subject.module()
        images, labels = data.batch(batch_size, subject.seed)
        fisher: list[torch.Tensor] = []

        def keep_activation(module: torch.nn.Module, inputs: Any, output: torch.Tensor) -> None:
            if not output.requires_grad:
                return
            activation = output.detach()  # capturing `output` itself would leak its graph

            def on_grad(grad: torch.Tensor) -> None:
                per_channel = (activation * grad).sum(dim=(2, 3))
                fisher.append(0.5 * per_channel.pow(2).mean(0).sum())

            output.register_hook(on_grad)

        handles = [
            m.register_forward_hook(keep_activation)
            for m in model.modules() if isinstance(m, torch.nn.Conv2d)
        ]
        try:
            logits = model(images)
            _check_labels(logits, labels)
            torch.nn.functional.cross_entropy(logits, labels).backward()
        finally:
            for handle in handles:
                handle.remove()
        layers = []
        for layer in _weighted_layers(model):
            grad = layer.weight.grad
            weight = layer.weight.detach()
            layers.append((weight, torch.zeros_like(weight) if grad is None else grad.detach()))
        return {"layers": layers, "fisher": float(sum(f.item() for f in fisher))}

    return subject.memo(f"loss_gradients|{data.name}|{batch_size}", compute)


@PROXIES.register("snip")
class Snip(Proxy):
    """SNIP (Lee et al., 2019): sum over weights of |weight x loss gradient|."""

    name = "snip"
    description = "sum |w * dL/dw| over conv/linear weights, one real batch"

    def _score(self, subject: Subject, data: DataSource) -> float:
        layers = loss_gradients(subject, data, self.batch_size)["layers"]
        return float(sum((w * g).abs().sum().item() for w, g in layers))


@PROXIES.register("grad_norm")
class GradNorm(Proxy):
    """Sum over layers of the L2 norm of the loss gradient (Abdelfattah et al., 2021)."""

    name = "grad_norm"
    description = "sum over conv/linear layers of ||dL/dw||_2, one real batch"

    def _score(self, subject: Subject, data: DataSource) -> float:
        layers = loss_gradients(subject, data, self.batch_size)["layers"]
        return float(sum(g.norm().item() for _, g in layers))


@PROXIES.register("fisher")
class Fisher(Proxy):
    """Fisher (Theis et al., 2018; Turner et al., 2020): per channel of every conv output,
    0.5 x mean over the batch of (sum over pixels of activation x gradient)^2, summed."""

    name = "fisher"
    description = "sum over conv channels of 0.5*E[(sum_hw a*dL/da)^2], one real batch"

    def _score(self, subject: Subject, data: DataSource) -> float:
        return float(loss_gradients(subject, data, self.batch_size)["fisher"])


@PROXIES.register("grasp")
class Grasp(Proxy):
    """GraSP (Wang et al., 2020): sum of -weight x (Hessian x gradient) of the loss."""

    name = "grasp"
    description = "sum -w * (H g) over conv/linear weights, one real batch (double backward)"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import torch

        model = subject.module()
        images, labels = data.batch(self.batch_size, subject.seed)
        weights = [layer.weight for layer in _weighted_layers(model)]
        logits = model(images)
        _check_labels(logits, labels)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        first = torch.autograd.grad(loss, weights, allow_unused=True)
        first = [torch.zeros_like(w) if g is None else g.detach()
                 for w, g in zip(weights, first, strict=True)]
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        second = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
        inner = sum(
            (g * f).sum() for g, f in zip(second, first, strict=True) if g is not None
        )
        if not isinstance(inner, torch.Tensor) or not inner.requires_grad:
            return 0.0
        hessian_grad = torch.autograd.grad(inner, weights, allow_unused=True)
        return float(sum(
            (-w.detach() * h).sum().item()
            for w, h in zip(weights, hessian_grad, strict=True) if h is not None
        ))


@PROXIES.register("synflow")
class Synflow(Proxy):
    """SynFlow (Tanaka et al., 2020): with all weights made positive, in float64, a ones
    input and batch statistics off (each BatchNorm at its initial identity statistics),
    sum over weights of |weight x d(sum of outputs)/d weight|. Data-free."""

    name = "synflow"
    uses_images = False
    noise_label = "ones"
    description = "sum |w * dR/dw| with |w|, ones input, float64, BN in eval mode"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import torch

        model = subject.module().double()
        model.eval()
        with torch.no_grad():
            for tensor in model.state_dict().values():
                if tensor.is_floating_point():
                    tensor.abs_()
        ones = torch.ones((1, *data.input_shape), dtype=torch.float64)
        torch.sum(model(ones)).backward()
        total = 0.0
        for layer in _weighted_layers(model):
            if layer.weight.grad is not None:
                total += (layer.weight * layer.weight.grad).abs().sum().item()
        if total == float("inf"):
            raise ProxyError("synflow overflowed float64 for this network")
        return total


@PROXIES.register("jacob_cov")
class JacobCov(Proxy):
    """jacob_cov, NASWOT v1 (Mellor et al., 2020): correlation of the input Jacobians of a
    real batch; score -sum(log(l + k) + 1/(l + k)) over its eigenvalues l, k = 1e-5."""

    name = "jacob_cov"
    description = "eigenvalue score of the correlation of per-image input Jacobians"

    def _score(self, subject: Subject, data: DataSource) -> float:
        import numpy as np
        import torch

        model = subject.module()
        images, _ = data.batch(self.batch_size, subject.seed)
        images.requires_grad_(True)
        output = model(images)
        output.backward(torch.ones_like(output))
        jacobians = images.grad.reshape(images.shape[0], -1).double().numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            correlation = np.corrcoef(jacobians)
        correlation = np.nan_to_num(correlation, nan=0.0)
        eigenvalues = np.linalg.eigvalsh(correlation)
        k = 1e-5
        return float(-np.sum(np.log(np.abs(eigenvalues) + k) + 1.0 / (np.abs(eigenvalues) + k)))

