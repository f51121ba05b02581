"""The FBNet-style network in torch: stem, 22 searchable blocks, 1x1 head, classifier."""

from __future__ import annotations

import torch
from torch import nn

from hwnas.spaces.fbnet_grammar import (
    BLOCK_SPECS,
    STEM_CHANNELS,
    BlockSpec,
    LayerSpec,
    Layout,
    is_identity,
    layer_specs,
)


class ChannelShuffle(nn.Module):
    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class InvertedResidual(nn.Module):
    """1x1 (grouped) expansion, kxk depthwise with the stride, 1x1 (grouped) projection;
    a residual add when the shapes match (FBNet's `k{k}_e{e}[_g2]` blocks)."""

    def __init__(self, block: BlockSpec, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        assert block.kernel and block.expansion and block.groups
        mid = c_in * block.expansion
        groups = block.groups
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, mid, 1, groups=groups, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=False),
        ]
        if groups > 1:
            layers.append(ChannelShuffle(groups))
        layers += [
            nn.Conv2d(
                mid,
                mid,
                block.kernel,
                stride=stride,
                padding=block.kernel // 2,
                groups=mid,
                bias=False,
            ),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=False),
            nn.Conv2d(mid, c_out, 1, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return out + x if self.residual else out


class Skip(nn.Module):
    """Identity when shapes match, else a strided 1x1 convolution and BatchNorm."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.project = None
        if stride != 1 or c_in != c_out:
            self.project = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.project is None else self.project(x)


def make_block(block: BlockSpec, layer: LayerSpec) -> nn.Module:
    if block.is_skip:
        return Skip(layer.c_in, layer.c_out, layer.stride)
    return InvertedResidual(block, layer.c_in, layer.c_out, layer.stride)


def make_stem(in_channels: int, stride: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, STEM_CHANNELS, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(STEM_CHANNELS),
        nn.ReLU(inplace=False),
    )


class Head(nn.Module):
    """1x1 convolution to the head width, BN, ReLU, global pooling, classifier."""

    def __init__(self, c_in: int, head_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, head_channels, 1, bias=False),
            nn.BatchNorm2d(head_channels),
            nn.ReLU(inplace=False),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.conv(x)), 1))


class FBNetNetwork(nn.Module):
    def __init__(
        self,
        genes: tuple[int, ...],
        input_shape: tuple[int, int, int],
        num_classes: int,
        layout: Layout,
    ) -> None:
        super().__init__()
        layers = layer_specs(input_shape, layout)
        self.stem = make_stem(input_shape[0], layout.stem_stride)
        self.blocks = nn.Sequential(
            *(
                nn.Identity()
                if is_identity(BLOCK_SPECS[g], layer)
                else make_block(BLOCK_SPECS[g], layer)
                for g, layer in zip(genes, layers, strict=True)
            )
        )
        self.head = Head(layers[-1].c_out, layout.head_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))
