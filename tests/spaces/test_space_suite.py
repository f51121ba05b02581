"""Every registered space through the shared space suite (`hwnas.testing`)."""

from __future__ import annotations

import pytest
import torch

from hwnas.spaces import list_spaces
from hwnas.testing import SPACE_CHECKS


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_suite_sees_the_builtin_spaces():
    assert {"nb201", "fbnet"} <= set(list_spaces())


@pytest.mark.parametrize("check", SPACE_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("name", list_spaces())
def test_registered_space(name, check):
    check(name)
