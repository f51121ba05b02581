"""Data sources shared by the proxy tests (the tiny network is `hwnas.testing.tiny_network`)."""

from __future__ import annotations

import numpy as np

from hwnas.proxies import DataSource


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
