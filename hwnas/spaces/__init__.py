"""Search spaces: parse, canonicalise, sample, mutate, build torch models."""

from __future__ import annotations

from hwnas.spaces._base import SearchSpace, as_rng
from hwnas.spaces._fbnet import FBNetSpace
from hwnas.spaces._nb201 import NasBench201Space, NetworkCost
from hwnas.spaces._registry import SPACES, create_space, list_spaces

__all__ = [
    "FBNetSpace",
    "SPACES",
    "NasBench201Space",
    "NetworkCost",
    "SearchSpace",
    "as_rng",
    "create_space",
    "list_spaces",
]
