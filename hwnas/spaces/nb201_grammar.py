"""NAS-Bench-201 grammar: operations, edges, the string format, which edges are live and
the stage geometry. Both the space (`_nb201.py`) and the torch builder (`_nb201_torch.py`)
import it; neither imports the other at module level."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hwnas.core import InvalidArchitectureError

if TYPE_CHECKING:
    import numpy as np

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# Edges in string order: node 1 <- 0; node 2 <- 0, 1; node 3 <- 0, 1, 2.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
CONV_KERNEL: dict[str, int] = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
STAGE_CHANNELS: tuple[int, int, int] = (16, 32, 64)
CELLS_PER_STAGE = 5
EXAMPLE = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


def _fail(string: str, position: int, message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(
        f"malformed nb201 architecture at character {position} (0-based): {message} "
        f"(expected like {EXAMPLE})"
    )


def decode_nb201(string: str) -> tuple[int, ...]:
    """Genes (op index per edge, in EDGES order) of a NAS-Bench-201 string."""
    if not string:
        raise _fail(string, 0, "empty string")
    groups = string.split("+")
    if len(groups) != 3:
        raise _fail(string, 0, f"{len(groups)} nodes separated by '+', need 3")
    genes: list[int] = []
    offset = 0
    for node, group in enumerate(groups, start=1):
        if len(group) < 2 or not group.startswith("|") or not group.endswith("|"):
            raise _fail(string, offset, f"node {node} {group!r} must be written |op~i|...|")
        tokens = group[1:-1].split("|")
        if len(tokens) != node:
            raise _fail(string, offset, f"node {node} has {len(tokens)} inputs, needs {node}")
        token_offset = offset + 1
        for expected_input, token in enumerate(tokens):
            op, sep, source = token.partition("~")
            if not sep:
                raise _fail(string, token_offset, f"token {token!r} lacks '~input'")
            if op not in OPS:
                raise _fail(
                    string, token_offset,
                    f"unknown op {op!r} in token {token!r}; ops: {', '.join(OPS)}",
                )
            if source != str(expected_input):
                raise _fail(
                    string, token_offset + len(op) + 1,
                    f"token {token!r} reads node {source!r}, must read node {expected_input}",
                )
            genes.append(OPS.index(op))
            token_offset += len(token) + 1
        offset += len(group) + 1
    return tuple(genes)


def encode_nb201(genes: Sequence[int]) -> str:
    """The standard NAS-Bench-201 string of a gene vector."""
    ops = [OPS[g] for g in genes]
    node1 = f"|{ops[0]}~0|"
    node2 = f"|{ops[1]}~0|{ops[2]}~1|"
    node3 = f"|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|"
    return f"{node1}+{node2}+{node3}"


def live_edges(genes: Sequence[int]) -> tuple[bool, ...]:
    """For each edge, whether dropping it would change the cell's output.

    A node fed only by zeros is zero; skip and pooling of zero are zero, but a
    ReLU-Conv-BN of zero is BatchNorm's shift, a per-channel constant, so a conv edge
    carries a value even from a zero node. An edge is live when it carries a value and
    its target reaches the output. Pruning exactly the other edges keeps the function.
    """
    ops = [OPS[g] for g in genes]
    carries = [False] * len(EDGES)
    nonzero = [True, False, False, False]
    for index, ((source, target), op) in enumerate(zip(EDGES, ops, strict=True)):
        carries[index] = op != "none" and (nonzero[source] or op in CONV_KERNEL)
        nonzero[target] = nonzero[target] or carries[index]
    reaches = [False, False, False, True]
    for index in reversed(range(len(EDGES))):
        source, target = EDGES[index]
        if carries[index] and reaches[target]:
            reaches[source] = True
    return tuple(carries[i] and reaches[t] for i, (_, t) in enumerate(EDGES))


def nb201_live_edges(genes: np.ndarray) -> np.ndarray:
    """Vectorised `live_edges` over an int gene array (N x 6): (N x 6) bool."""
    import numpy as np

    none, conv1, conv3 = OPS.index("none"), OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3")
    op = genes != none
    conv = (genes == conv1) | (genes == conv3)
    carries = np.zeros(genes.shape, dtype=bool)
    nonzero = [np.ones(genes.shape[0], dtype=bool)] + [np.zeros(genes.shape[0], dtype=bool)] * 3
    for edge, (source, target) in enumerate(EDGES):
        carries[:, edge] = op[:, edge] & (nonzero[source] | conv[:, edge])
        nonzero[target] = nonzero[target] | carries[:, edge]
    reaches2 = carries[:, 5]
    reaches1 = carries[:, 4] | (carries[:, 2] & reaches2)
    reaches = [None, reaches1, reaches2, np.ones(genes.shape[0], dtype=bool)]
    live = np.zeros(genes.shape, dtype=bool)
    for edge, (_, target) in enumerate(EDGES):
        live[:, edge] = carries[:, edge] & reaches[target]
    return live


def stage_resolutions(input_shape: tuple[int, int, int]) -> tuple[tuple[int, int], ...]:
    """Feature-map (height, width) of the three stages; sizes must be divisible by 4."""
    _, height, width = input_shape
    if height % 4 or width % 4:
        raise InvalidArchitectureError(
            f"nb201 networks halve the input twice: height and width must be divisible by 4, "
            f"got {height}x{width} (zero-pad the input, e.g. 85x85 -> 88x88)"
        )
    return ((height, width), (height // 2, width // 2), (height // 4, width // 4))


def _string_pattern() -> str:
    """The regex every NAS-Bench-201 string matches (node n: n tokens `|op~i|`)."""
    ops = "(" + "|".join(re.escape(op) for op in OPS) + ")"

    def node(n: int) -> str:
        return r"\|" + "".join(f"{ops}~{i}" + r"\|" for i in range(n))

    return "^" + node(1) + r"\+" + node(2) + r"\+" + node(3) + "$"


STRING_PATTERN = _string_pattern()
