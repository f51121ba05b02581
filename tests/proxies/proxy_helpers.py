"""Tiny networks and data sources shared by the proxy tests."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hwnas.proxies import DataSource


class TinyNet(nn.Module):
    """Conv-BN-ReLU, conv-BN-ReLU, global pool, linear: fast enough for every proxy."""

    def __init__(self, num_classes: int = 10, width: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class ArrayData(DataSource):
    """Fixed random arrays as a data source (for hand-checked formulas)."""

    name = "test-arrays"
    description = "random arrays made by the test"

    def __init__(self, shape: tuple[int, int, int] = (3, 32, 32), classes: int = 10) -> None:
        self.input_shape = shape
        self.num_classes = classes
        rng = np.random.default_rng(7)
        self.images = rng.random((64, *shape)).astype(np.float32)
        self.labels = rng.integers(0, classes, 64)

    def _arrays(self, batch_size: int, seed: int):
        chosen = np.random.default_rng(seed).choice(64, size=batch_size, replace=False)
        return self.images[chosen], self.labels[chosen]
