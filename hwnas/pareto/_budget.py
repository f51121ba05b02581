"""Splitting an evaluation budget over the parts of a front (latency bands)."""

from __future__ import annotations


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as integers allow; the remainder goes to the
    first parts (a negative total counts as 0)."""
    share, extra = divmod(max(0, total), parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]
