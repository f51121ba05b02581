"""A third-party search space in one module: three layers, each a 3x3 convolution, a 1x1
convolution or a skip. The plugin tests load it through a real entry point and run the
shared suites on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces import NetworkCost, SearchSpace

OPS = ("conv3", "conv1", "skip")
KERNEL = {"conv3": 3, "conv1": 1}
WIDTH = 8


class ToySpace(SearchSpace):
    name = "toy"
    gene_choices = (OPS, OPS, OPS)
    default_input_shape = (3, 8, 8)
    default_num_classes = 4
    onehot_graph_features = True

    def _decode(self, string: str) -> tuple[int, ...]:
        tokens = string.split("-")
        if len(tokens) != 3 or any(t not in OPS for t in tokens):
            raise InvalidArchitectureError(
                f"a toy architecture is 3 of {', '.join(OPS)} joined by '-', got {string!r}"
            )
        return tuple(OPS.index(t) for t in tokens)

    def _encode(self, genes: Sequence[int]) -> str:
        return "-".join(OPS[g] for g in genes)

    def _build_torch(
        self, genes: tuple[int, ...], input_shape: tuple[int, int, int], num_classes: int,
        **options: Any,
    ) -> Any:
        from torch import nn

        def conv(c_in: int, kernel: int) -> list[nn.Module]:
            return [
                nn.Conv2d(c_in, WIDTH, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(WIDTH), nn.ReLU(),
            ]

        layers = conv(input_shape[0], 3)
        for gene in genes:
            layers += conv(WIDTH, KERNEL[OPS[gene]]) if OPS[gene] in KERNEL else [nn.Identity()]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(WIDTH, num_classes)]
        return nn.Sequential(*layers)

    def cost(
        self, arch: Architecture | str, input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None, prune: bool = False,
    ) -> NetworkCost:
        channels, height, width = input_shape or self.default_input_shape
        classes = num_classes or self.default_num_classes
        pixels = height * width
        params = channels * WIDTH * 9 + 2 * WIDTH
        macs = pixels * WIDTH * channels * 9
        for gene in self.genes(arch):
            kernel = KERNEL.get(OPS[gene])
            if kernel:
                params += WIDTH * WIDTH * kernel * kernel + 2 * WIDTH
                macs += pixels * WIDTH * WIDTH * kernel * kernel
        return NetworkCost(params + WIDTH * classes + classes, macs + WIDTH * classes)
