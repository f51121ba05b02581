"""Objective specs: what a run optimises and where each value comes from.

Written as `name=kind:target`, comma separated, e.g.
`accuracy=table:cifar100,latency=table:pi5-onnx`. A chain `name=kind:target>kind:target`
lists sources cheapest first: the evaluator fills the first for every candidate and
confirms with the last only for candidates near the front. A name ending in `:max` or
`:min` fixes the direction; otherwise names with accuracy/acc/score are maximised and
everything else (latency, energy, error, params) is minimised.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwnas.core import ConfigError

SOURCE_KINDS = ("table", "predictor", "proxy", "ensemble", "profile", "train")
_MAXIMISED_WORDS = ("accuracy", "acc", "score")
EXAMPLE = "accuracy=table:cifar100,latency=table:pi5-onnx"


@dataclass(frozen=True)
class SourceSpec:
    """One source of an objective's value: `kind:target` (target may be empty)."""

    kind: str
    target: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True)
class ObjectiveSpec:
    """One objective: its name, direction and sources (cheapest first)."""

    name: str
    sources: tuple[SourceSpec, ...]
    minimize: bool

    @property
    def final_source(self) -> SourceSpec:
        return self.sources[-1]

    @property
    def screened(self) -> bool:
        """True when a cheaper source screens before the final one confirms."""
        return len(self.sources) > 1

    def __str__(self) -> str:
        direction = "min" if self.minimize else "max"
        return f"{self.name}:{direction}=" + ">".join(str(s) for s in self.sources)


def _default_minimize(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered.replace("-", "_").split("_") or lowered.startswith(word)
                   for word in _MAXIMISED_WORDS)


def parse_objectives(text: str) -> tuple[ObjectiveSpec, ...]:
    """Objective specs from `name=kind:target[>kind:target],...`; ConfigError when malformed."""
    if not text or not text.strip():
        raise ConfigError(f"no objectives given; pass e.g. --objectives {EXAMPLE}")
    specs: list[ObjectiveSpec] = []
    for part in text.split(","):
        part = part.strip()
        name, sep, chain = part.partition("=")
        name = name.strip()
        if not sep or not name or not chain.strip():
            raise ConfigError(
                f"objective {part!r} must be NAME=SOURCE:TARGET, e.g. {EXAMPLE}"
            )
        minimize = None
        if name.endswith((":max", ":min")):
            name, direction = name.rsplit(":", 1)
            minimize = direction == "min"
        sources = []
        for link in chain.split(">"):
            kind, _, target = link.strip().partition(":")
            kind = kind.strip()
            if kind not in SOURCE_KINDS:
                raise ConfigError(
                    f"objective {name!r}: unknown source {kind!r}; use one of "
                    f"{', '.join(SOURCE_KINDS)} (e.g. {EXAMPLE})"
                )
            sources.append(SourceSpec(kind, target.strip()))
        if any(s.name == name for s in specs):
            raise ConfigError(f"objective {name!r} is given twice; name each objective once")
        specs.append(ObjectiveSpec(
            name, tuple(sources), _default_minimize(name) if minimize is None else minimize
        ))
    if len(specs) < 2:
        raise ConfigError(
            f"a Pareto search needs at least two objectives, got {len(specs)}; e.g. {EXAMPLE}"
        )
    return tuple(specs)


def format_objectives(specs: tuple[ObjectiveSpec, ...]) -> str:
    """The text form `parse_objectives` reads back (directions explicit)."""
    return ",".join(str(s) for s in specs)
