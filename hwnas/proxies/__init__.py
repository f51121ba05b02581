"""Zero-cost proxies (accuracy estimates from untrained networks) and the learned ensemble."""

from __future__ import annotations

from hwnas.proxies import _builtin  # noqa: F401  (registers the built-in proxies)
from hwnas.proxies._base import Proxy, ProxyError, ProxyResult, Subject
from hwnas.proxies._cache import CACHE_ENV, ScoreCache, default_cache_path
from hwnas.proxies._data import (
    CifarData,
    DataSource,
    DigitsData,
    ImageFolderData,
    default_data,
    digits_arrays,
    open_data_dir,
    read_cifar_batch,
    read_image,
    resolve_data,
)
from hwnas.proxies._ensemble import AccuracyEstimator
from hwnas.proxies._evaluate import (
    ensemble_correlation,
    proxy_correlations,
    rank_correlations,
    read_labels,
)
from hwnas.proxies._registry import PROXIES, create_proxy, list_proxies
from hwnas.proxies._score import resolve_proxies, score_architectures
from hwnas.proxies._size import count_macs

__all__ = [
    "CACHE_ENV",
    "PROXIES",
    "AccuracyEstimator",
    "CifarData",
    "DataSource",
    "DigitsData",
    "ImageFolderData",
    "Proxy",
    "ProxyError",
    "ProxyResult",
    "ScoreCache",
    "Subject",
    "count_macs",
    "create_proxy",
    "default_cache_path",
    "default_data",
    "digits_arrays",
    "ensemble_correlation",
    "list_proxies",
    "open_data_dir",
    "proxy_correlations",
    "rank_correlations",
    "read_cifar_batch",
    "read_image",
    "read_labels",
    "resolve_data",
    "resolve_proxies",
    "score_architectures",
]
