"""Registers the built-in spaces."""

from __future__ import annotations

from hwnas.spaces._fbnet import FBNetSpace
from hwnas.spaces._nb201 import NasBench201Space
from hwnas.spaces._registry import SPACES

SPACES.register("nb201")(NasBench201Space)
SPACES.register("fbnet")(FBNetSpace)
