"""Fixtures for the proxy tests."""

from __future__ import annotations

import pytest
import torch
from proxy_helpers import ArrayData
from torch import nn

from hwnas.testing import tiny_network


@pytest.fixture(autouse=True, scope="package")
def one_torch_thread():
    """Proxies on tiny networks gain nothing from threads on a shared 2-core host."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return tiny_network()


@pytest.fixture
def array_data() -> ArrayData:
    return ArrayData()
