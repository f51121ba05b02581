"""How well proxies and the ensemble rank architectures: Spearman and Kendall."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DataError
from hwnas.proxies._base import ProxyResult


def rank_correlations(predicted: Sequence[float], actual: Sequence[float]) -> dict[str, float]:
    """Spearman's rho and Kendall's tau-b between two sequences."""
    import numpy as np
    from scipy.stats import kendalltau, spearmanr

    x = np.nan_to_num(np.asarray(predicted, dtype=np.float64), nan=0.0, posinf=1e300,
                      neginf=-1e300)
    y = np.asarray(actual, dtype=np.float64)
    if len(x) != len(y) or len(x) < 3:
        raise ConfigError(f"rank correlation needs two equal sequences of 3+ values, got "
                          f"{len(x)} and {len(y)}")
    rho = spearmanr(x, y).statistic
    tau = kendalltau(x, y).statistic
    return {"spearman": _finite(rho), "kendall": _finite(tau)}


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def read_labels(path: str | Path, metric: str) -> tuple[list[str], list[float]]:
    """Architecture strings and labels from a CSV with an `arch` column and `metric`, or
    from a table hwnas.benchmarks knows by name (e.g. `nb201-accuracy`)."""
    import pandas as pd

    from hwnas.benchmarks import NAMED_TABLES, open_table

    if str(path) in NAMED_TABLES:
        table = open_table(str(path))
        if metric not in table.frame.columns:
            raise DataError(f"table {path} has no metric {metric!r}; metrics: "
                            f"{', '.join(map(str, table.frame.columns))}")
        column = table.frame[metric].dropna()
        return [str(a) for a in column.index], [float(v) for v in column]
    table_path = Path(path).expanduser()
    if not table_path.is_file():
        raise DataError(f"label table {table_path} not found; pass a CSV with an 'arch' column "
                        "and an accuracy column (e.g. ../shared/data/nb201/accuracy.csv)")
    try:
        frame = pd.read_csv(table_path)
    except (ValueError, OSError) as error:
        raise DataError(f"cannot read {table_path} as CSV ({error})") from error
    missing = [c for c in ("arch", metric) if c not in frame.columns]
    if missing:
        raise DataError(f"{table_path} lacks column(s) {', '.join(missing)}; columns: "
                        f"{', '.join(map(str, frame.columns))}; pick one with --metric")
    frame = frame[["arch", metric]].dropna()
    return list(frame["arch"].astype(str)), [float(v) for v in frame[metric]]


def proxy_correlations(
    scores: Sequence[Mapping[str, ProxyResult]], labels: Sequence[float]
) -> dict[str, dict[str, Any]]:
    """Per proxy: Spearman, Kendall, mean seconds per architecture and the data it saw."""
    out: dict[str, dict[str, Any]] = {}
    for name in scores[0]:
        values = [row[name].value for row in scores]
        seconds = [row[name].seconds for row in scores]
        out[name] = rank_correlations(values, labels) | {
            "seconds_per_arch": sum(seconds) / len(seconds), "data": scores[0][name].data,
        }
    return out


def ensemble_correlation(
    fit_predict: Callable[[list[int], list[int]], Sequence[float]],
    labels: Sequence[float], train_count: int, seed: int,
) -> dict[str, Any]:
    """Train on `train_count` random rows and correlate predictions on the rest."""
    import numpy as np

    if not 5 <= train_count <= len(labels) - 3:
        raise ConfigError(
            f"--train must be between 5 and {len(labels) - 3} for {len(labels)} architectures"
        )
    order = np.random.default_rng(seed).permutation(len(labels))
    train, test = sorted(order[:train_count].tolist()), sorted(order[train_count:].tolist())
    predicted = fit_predict(train, test)
    return rank_correlations(predicted, [labels[i] for i in test]) | {
        "train": len(train), "test": len(test), "seed": seed,
    }
