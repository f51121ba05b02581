"""Search spaces: parse, canonicalise, sample, mutate, build torch models.

A new space is one module with a `SearchSpace` subclass plus a registration:
`SPACES.register("name")(MySpace)`, or an entry point in the `hwnas.spaces` group.
The grammars `hwnas.spaces.nb201_grammar` and `hwnas.spaces.fbnet_grammar` are public:
predictors and encoders read a space's operations and geometry from them.
"""

from __future__ import annotations

from hwnas.spaces import _builtin  # noqa: F401  (registers the built-in spaces)
from hwnas.spaces._base import LatencyBlock, NetworkCost, SearchSpace, as_rng
from hwnas.spaces._fbnet import FBNetSpace
from hwnas.spaces._nb201 import NasBench201Space
from hwnas.spaces._nb201 import network_cost as nb201_network_cost
from hwnas.spaces._registry import SPACES, create_space, list_spaces

__all__ = [
    "FBNetSpace",
    "LatencyBlock",
    "SPACES",
    "NasBench201Space",
    "NetworkCost",
    "SearchSpace",
    "as_rng",
    "create_space",
    "list_spaces",
    "nb201_network_cost",
]
