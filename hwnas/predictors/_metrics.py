"""How far predictions can be trusted: error bands, rank correlation, RMSE."""

from __future__ import annotations

from typing import Any

import numpy as np

from hwnas.predictors._errors import PredictorError


def evaluate_predictions(
    measured: np.ndarray, predicted: np.ndarray, unit: str = "ms"
) -> dict[str, Any]:
    """Share within ±10% / ±5%, Spearman, Kendall, RMSE (in `unit`), MAPE, test count."""
    from scipy.stats import kendalltau, spearmanr

    y = np.asarray(measured, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise PredictorError(f"measured {y.shape} and predicted {p.shape} must be equal 1-D arrays")
    if len(y) < 2:
        raise PredictorError("need at least 2 test architectures to evaluate a predictor")
    relative = np.abs(p / y - 1.0)
    rmse = float(np.sqrt(np.mean((p - y) ** 2)))
    out: dict[str, Any] = {
        "within_10pct": float(np.mean(relative <= 0.10)),
        "within_5pct": float(np.mean(relative <= 0.05)),
        "spearman": float(spearmanr(y, p)[0]),
        "kendall": float(kendalltau(y, p)[0]),
        "rmse": rmse,
        "mape_pct": float(100 * relative.mean()),
        "max_error_pct": float(100 * relative.max()),
        "n_test": int(len(y)),
    }
    out["rmse_ms" if unit in ("ms", "") else f"rmse_{unit}"] = rmse
    return out
