"""Summary statistics of latency samples, and the distribution-free CI of the median."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def median_ci(sorted_values: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    """95% confidence interval of the median from order statistics (no normality assumed).

    The ranks n/2 -/+ z*sqrt(n)/2 come from the normal approximation of the binomial
    number of samples below the true median.
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values")
    half = z * math.sqrt(n) / 2.0
    low = max(0, math.floor(n / 2.0 - half))
    high = min(n - 1, math.ceil(n / 2.0 + half) - 1)
    return sorted_values[low], sorted_values[high]


def median_ci_fraction(sorted_values: Sequence[float]) -> float:
    """Half-width of the median's 95% CI relative to the median."""
    low, high = median_ci(sorted_values)
    middle = percentile(sorted_values, 50)
    if middle <= 0:
        return math.inf
    return (high - low) / 2.0 / middle


def summarize(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p90/mean/std (sample std, ddof=1) of latency samples in ms."""
    values = sorted(float(v) for v in samples_ms)
    n = len(values)
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return {
        "latency_p50_ms": percentile(values, 50),
        "latency_p90_ms": percentile(values, 90),
        "latency_mean_ms": mean,
        "latency_std_ms": math.sqrt(variance),
    }
