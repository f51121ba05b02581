"""Fixtures for the proxy tests."""

from __future__ import annotations

import pytest
import torch
from proxy_helpers import ArrayData, TinyNet
from torch import nn


@pytest.fixture
def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return TinyNet()


@pytest.fixture
def array_data() -> ArrayData:
    return ArrayData()
