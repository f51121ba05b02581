"""The NAS-Bench-201 network in torch: stem, 3 stages of 5 cells, residual reductions;
and the stem, add and head on their own, as latency-table blocks."""

from __future__ import annotations

import torch
from torch import nn

from hwnas.spaces.nb201_grammar import (
    CELLS_PER_STAGE,
    CONV_KERNEL,
    EDGES,
    OPS,
    STAGE_CHANNELS,
    live_edges,
    stage_resolutions,
)


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The `none` op as the benchmark ran it: a multiply by zero."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(op: str, channels: int) -> nn.Module:
    if op == "none":
        return Zero()
    if op == "skip_connect":
        return nn.Identity()
    if op == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    return ReLUConvBN(channels, channels, CONV_KERNEL[op], stride=1)


class Cell(nn.Module):
    """Node j = sum over i < j of op_ij(node i); the output is node 3."""

    def __init__(self, genes: tuple[int, ...], channels: int, prune: bool) -> None:
        super().__init__()
        keep = live_edges(genes) if prune else (True,) * len(EDGES)
        self.edges = [(s, t) for (s, t), k in zip(EDGES, keep, strict=True) if k]
        self.ops = nn.ModuleList(
            make_op(OPS[g], channels) for g, k in zip(genes, keep, strict=True) if k
        )
        self.zero_output = prune and not any(keep)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.zero_output:
            return x.mul(0.0)
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for (source, target), op in zip(self.edges, self.ops, strict=True):
            value = nodes[source]
            if value is None:  # a zero node; only a conv of it (BN's shift) is kept
                value = x.mul(0.0)
            out = op(value)
            current = nodes[target]
            nodes[target] = out if current is None else current + out
        output = nodes[3]
        return x.mul(0.0) if output is None else output


class ResidualReduction(nn.Module):
    """NAS-Bench-201's ResNet basic block with stride 2 between stages."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NasBench201Network(nn.Module):
    """Stem, [5 cells, reduction] x 2, 5 cells, BN-ReLU, global pool, classifier.

    `prune=False` (default) builds the network as the benchmark measured it: `none`
    edges run as multiply-by-zero and ops that feed nothing still run. `prune=True`
    drops both, which is what one would deploy.
    """

    def __init__(
        self, genes: tuple[int, ...], input_shape: tuple[int, int, int], num_classes: int,
        prune: bool = False,
    ) -> None:
        super().__init__()
        stage_resolutions(input_shape)  # validates the size
        self.stem = nn.Sequential(
            nn.Conv2d(input_shape[0], STAGE_CHANNELS[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(STAGE_CHANNELS[0]),
        )
        layers: list[nn.Module] = []
        for stage, channels in enumerate(STAGE_CHANNELS):
            if stage > 0:
                layers.append(ResidualReduction(STAGE_CHANNELS[stage - 1], channels))
            layers.extend(Cell(genes, channels, prune) for _ in range(CELLS_PER_STAGE))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(STAGE_CHANNELS[-1]), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(STAGE_CHANNELS[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.global_pooling(out), 1))


def stem(in_channels: int, channels: int) -> nn.Module:
    """The network's stem alone (a latency-table block)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
    )


def head(channels: int, num_classes: int) -> nn.Module:
    """The last BN-ReLU, global pooling and classifier alone (a latency-table block)."""
    return nn.Sequential(
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(1),
        nn.Linear(channels, num_classes),
    )


class AddTwo(nn.Module):
    """x + x: the cost of one add of a cell's sum (a latency-table block)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + x
