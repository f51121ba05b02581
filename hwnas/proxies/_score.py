"""Score many architectures with many proxies, through the cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hwnas.core import Architecture
from hwnas.proxies._base import Proxy, ProxyResult, Subject
from hwnas.proxies._cache import ScoreCache
from hwnas.proxies._data import DataSource, resolve_data
from hwnas.proxies._registry import create_proxy, list_proxies

if TYPE_CHECKING:
    from hwnas.spaces import SearchSpace


def resolve_proxies(proxies: Sequence[str | Proxy] | None, batch_size: int | None = None
                    ) -> list[Proxy]:
    """Proxy instances from names or instances (None: every registered proxy)."""
    names: Sequence[str | Proxy] = list_proxies() if proxies is None else proxies
    options = {} if batch_size is None else {"batch_size": batch_size}
    return [p if isinstance(p, Proxy) else create_proxy(p, **options) for p in names]


def score_architectures(
    archs: Sequence[Architecture | str],
    proxies: Sequence[str | Proxy] | None = None,
    data: DataSource | str | Path | None = None,
    seed: int = 0,
    space: SearchSpace | str = "nb201",
    cache: ScoreCache | str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, ProxyResult]]:
    """For each architecture, {proxy name: ProxyResult}; cached values are not recomputed.

    A cached result carries the seconds it took when it was computed.
    """
    from hwnas.spaces import create_space

    resolved_space = create_space(space)
    source = resolve_data(data)
    instances = resolve_proxies(proxies)
    store = ScoreCache(cache) if isinstance(cache, (str, Path)) else cache
    results: list[dict[str, ProxyResult]] = []
    for index, arch in enumerate(archs):
        parsed = resolved_space.parse(arch)
        subject = Subject(parsed, resolved_space, num_classes=source.num_classes,
                          input_shape=source.input_shape, seed=seed)
        row: dict[str, ProxyResult] = {}
        new_rows = []
        for proxy in instances:
            key = proxy.cache_key(source)
            hit = store.get(parsed.arch_id, key, seed) if store is not None else None
            if hit is not None:
                row[proxy.name] = ProxyResult(proxy.name, hit[0], hit[1], proxy.data_label(source),
                                              seed, parsed.arch_id)
                continue
            result = proxy.score_subject(subject, source)
            row[proxy.name] = result
            new_rows.append(
                (parsed.arch_id, key, seed, parsed.string, result.value, result.seconds)
            )
        if store is not None and new_rows:
            store.put_many(new_rows)
        results.append(row)
        if progress is not None:
            progress(index + 1, len(archs))
    return results
