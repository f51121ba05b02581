"""Named search presets: whole configurations behind one word (`hwnas search --preset demo`)."""

from __future__ import annotations

from typing import Any

from hwnas.core import ConfigError

# demo: needs nothing outside the package. Accuracy from a zero-cost proxy computed on
# bundled data (or the learned ensemble when it is installed), latency measured live on
# this host with ONNX Runtime; a few minutes on a 2-core machine.
PRESETS: dict[str, dict[str, Any]] = {
    "demo": {
        "space": "nb201",
        "device": "host-cpu",
        "objectives": "accuracy:max=proxy:naswot,latency=profile:host-cpu",
        "strategy": "coevo",
        "bands": 3,
        "budget": 20,
        "seed": 0,
        "source_options": {"profile_max_seconds": 0.5, "profile_min_repeats": 10,
                           "profile_warmup": 3, "profile_threads": 1},
        "strategy_options": {"step": 3},
    },
}


def preset_config(name: str, **overrides: Any) -> dict[str, Any]:
    """The settings of a preset, with `overrides` (those not None) on top."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; presets: {', '.join(sorted(PRESETS))}")
    values = dict(PRESETS[name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values
