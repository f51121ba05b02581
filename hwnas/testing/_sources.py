"""The shared objective-source suite: what every source kind must do, whatever it reads.

A case names a source (kind, target, context) and the architectures to try: some it can
value, and some it must answer with an error for that architecture alone (by default one
malformed architecture string of the space). Every check builds on the public
`ObjectiveSource` contract:

- `values(archs)` gives one SourceValue per architecture, in the order given (for a
  deterministic source, reversing the batch reverses the values, up to rounding);
- an architecture the source cannot value gets SourceValue(None, error), and the rest of
  the batch is still valued: nothing is raised;
- `values` refuses anything that is not an Architecture (TypeError, at the door);
- `describe()` is a JSON-serialisable dict (it goes into the run record);
- `executed(arch)` is an Architecture of the same space.

A plugin author runs it on their kind in one test::

    from hwnas.search import SourceContext
    from hwnas.testing import SourceCase, run_source_suite

    def test_my_source_passes_the_suite(nb201):
        run_source_suite(SourceCase("my-kind", "target", SourceContext("nb201", "latency"),
                                    tuple(nb201.sample(3, seed=0))))
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from hwnas.core import Architecture
from hwnas.search import ObjectiveSource, SourceContext, SourceValue, create_source

MALFORMED = "|hwnas-testing-not-an-op~0|"


def malformed_architecture(space: str) -> Architecture:
    """An architecture of `space` whose string no grammar accepts (every source must answer
    it with an error for that architecture, not an exception)."""
    return Architecture(space, MALFORMED)


@dataclass(frozen=True)
class SourceCase:
    """One objective source to put through the suite.

    `archs` are architectures it can value; `failing` ones it must answer with an error
    (None: one malformed architecture of the context's space). `deterministic` is False
    for live measurements, whose values differ from call to call.
    """

    kind: str
    target: str
    context: SourceContext
    archs: tuple[Architecture, ...]
    failing: tuple[Architecture, ...] | None = None
    deterministic: bool = True

    @property
    def failing_archs(self) -> tuple[Architecture, ...]:
        if self.failing is None:
            return (malformed_architecture(self.context.space),)
        return self.failing

    def build(self) -> ObjectiveSource:
        """The source, built through the registry as a run builds it."""
        source = create_source(self.kind, self.target, self.context)
        assert isinstance(source, ObjectiveSource), \
            f"source kind {self.kind!r} built a {type(source).__name__}, not an ObjectiveSource"
        return source


def _label(case: SourceCase) -> str:
    return f"{case.kind}:{case.target}" if case.target else case.kind


def check_one_value_per_architecture_in_order(source: ObjectiveSource, case: SourceCase) -> None:
    """One finite value per architecture, in order; an empty batch gives an empty list."""
    label = _label(case)
    assert len(case.archs) >= 2, f"{label}: the case needs two or more architectures"
    assert source.values([]) == [], f"{label}: an empty batch must give an empty list"
    values = source.values(list(case.archs))
    assert len(values) == len(case.archs), \
        f"{label}: {len(values)} values for {len(case.archs)} architectures"
    for arch, value in zip(case.archs, values, strict=True):
        assert isinstance(value, SourceValue), f"{label}: got {type(value).__name__}"
        assert value.ok and value.error is None, f"{label}: {arch.string}: {value.error}"
        assert isinstance(value.value, float) and math.isfinite(value.value), \
            f"{label}: {arch.string} valued {value.value!r}, not a finite float"
    if case.deterministic:
        backwards = list(reversed(source.values(list(reversed(case.archs)))))
        for arch, value, again in zip(case.archs, values, backwards, strict=True):
            # equal up to rounding: a model may sum a batch in another order
            assert again.value is not None and math.isclose(
                again.value, value.value, rel_tol=1e-9, abs_tol=1e-12), (
                f"{label}: {arch.string} valued {value.value!r} in order and "
                f"{again.value!r} in the reversed batch")


def check_errors_per_architecture_not_raised(source: ObjectiveSource, case: SourceCase) -> None:
    """Architectures the source cannot value get an error each; the others are valued."""
    label = _label(case)
    failing = case.failing_archs
    assert failing, f"{label}: the case names no failing architecture"
    mixed = [case.archs[0], *failing, case.archs[-1]]
    values = source.values(mixed)  # must not raise
    assert len(values) == len(mixed), f"{label}: {len(values)} values for {len(mixed)}"
    for position, (arch, value) in enumerate(zip(mixed, values, strict=True)):
        if 0 < position < len(mixed) - 1:
            assert not value.ok, f"{label}: {arch.string} should fail, got {value.value!r}"
            assert isinstance(value.error, str) and value.error, \
                f"{label}: {arch.string} failed without saying why"
        else:
            assert value.ok, f"{label}: {arch.string} failed next to a failing one: {value.error}"


def check_values_refuse_non_architectures(source: ObjectiveSource, case: SourceCase) -> None:
    """`values` checks its input at the door: a plain string is a TypeError."""
    try:
        source.values([case.archs[0].string])  # type: ignore[list-item]
    except TypeError:
        return
    raise AssertionError(f"{_label(case)}: values() accepted a str instead of an Architecture")


def check_describe_is_json(source: ObjectiveSource, case: SourceCase) -> None:
    """`describe()` is a dict that survives a JSON round trip (it goes into the run record)."""
    label = _label(case)
    described = source.describe()
    assert isinstance(described, dict), f"{label}: describe() gave {type(described).__name__}"
    try:
        text = json.dumps(described)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{label}: describe() is not JSON-serialisable: {error}") from None
    assert json.loads(text) == described, f"{label}: describe() changes in a JSON round trip"


def check_executed_is_an_architecture_of_the_space(source: ObjectiveSource,
                                                   case: SourceCase) -> None:
    """`executed(arch)` names an Architecture of the same space for every architecture."""
    label = _label(case)
    for arch in case.archs:
        executed = source.executed(arch)
        assert isinstance(executed, Architecture), \
            f"{label}: executed({arch.string}) gave {type(executed).__name__}"
        assert executed.space == arch.space, \
            f"{label}: executed({arch.string}) is in space {executed.space!r}, not {arch.space!r}"


SOURCE_CHECKS: tuple[Callable[[ObjectiveSource, SourceCase], None], ...] = (
    check_one_value_per_architecture_in_order,
    check_errors_per_architecture_not_raised,
    check_values_refuse_non_architectures,
    check_describe_is_json,
    check_executed_is_an_architecture_of_the_space,
)


def run_source_suite(case: SourceCase) -> ObjectiveSource:
    """Build the case's source and apply every check in SOURCE_CHECKS to it."""
    source = case.build()
    for check in SOURCE_CHECKS:
        check(source, case)
    return source


__all__ = [
    "MALFORMED", "SOURCE_CHECKS", "SourceCase", "check_describe_is_json",
    "check_errors_per_architecture_not_raised",
    "check_executed_is_an_architecture_of_the_space",
    "check_one_value_per_architecture_in_order", "check_values_refuse_non_architectures",
    "malformed_architecture", "run_source_suite",
]
