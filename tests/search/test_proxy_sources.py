"""Proxy sources score the executed network through the shared cache; rank votes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hwnas.core import Architecture, ConfigError
from hwnas.search import SourceContext, create_source

# two members of one isomorphism class: the dead 3x3 convolution on edge 2<-1 of the
# first feeds a node that the output never reads
A = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
B = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"


def _context(tmp_path: Path, **options) -> SourceContext:
    return SourceContext("nb201", "accuracy", None,
                         {"proxy_cache": str(tmp_path / "scores.sqlite"), **options})


def test_isomorphic_cells_share_one_cached_score(tmp_path: Path, nb201) -> None:
    assert nb201.isomorphism_key(A) == nb201.isomorphism_key(B)
    source = create_source("proxy", "synflow", _context(tmp_path))
    first, second = source.values([Architecture("nb201", A), Architecture("nb201", B)])
    assert first.value == second.value and first.seconds > 0
    representative = nb201.canonical(A)
    assert source.executed(Architecture("nb201", A)) == representative
    with sqlite3.connect(tmp_path / "scores.sqlite") as connection:
        rows = connection.execute("SELECT arch_id, arch, seconds FROM proxy_scores").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(representative.arch_id, representative.string)]
    # another run (another source) reuses the score and reports what it cost when computed
    again = create_source("proxy", "synflow", _context(tmp_path))
    (value,) = again.values([Architecture("nb201", B)])
    assert value.value == first.value and value.seconds == pytest.approx(rows[0][2])


def test_rank_vote_of_several_proxies(tmp_path: Path, nb201) -> None:
    source = create_source("proxy", "vote:synflow+params",
                           _context(tmp_path, vote_reference=6))
    archs = nb201.sample(4, seed=5)
    values = [v.value for v in source.values(archs)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == [v.value for v in source.values(archs)]
    described = source.describe()
    assert described["vote_reference"] == 6 and described["unit"] == "vote"
    # the vote is the mean of each proxy's position among the reference networks
    best = max(archs, key=lambda a: nb201.cost(a).params)
    assert source.values([best])[0].value >= min(values)
    with pytest.raises(ConfigError, match="two or more proxies"):
        create_source("proxy", "vote:synflow", _context(tmp_path))
    with pytest.raises(ConfigError, match="unknown proxy"):
        create_source("proxy", "vote:synflow+nonsense", _context(tmp_path))
