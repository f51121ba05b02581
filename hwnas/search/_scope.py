"""Scope checks: does an edit stay inside what it was asked (or claims) to change?

Both run before a candidate can reach the evaluator, so an out-of-scope edit never
spends budget:

* `factor_violation` (SPARK): the diff of parent and child, by the space's factors
  (`SearchSpace.changed_factors`), must touch the chosen factor alone;
* `claim_violation` (`coevo`): the gene positions an LLM's `changed` field names
  (`SearchSpace.positions_named`) must cover every position its diff from the closest
  elite touches.

`feasibility` is the check after scope: the grammar, then the space's own
`infeasibility` (for NAS-Bench-201: the output depends on the input).
"""

from __future__ import annotations

from collections.abc import Sequence

from hwnas.core import Architecture, InvalidArchitectureError
from hwnas.spaces import SearchSpace


def factor_violation(space: SearchSpace, parent: Architecture, child: Architecture,
                     factor: str) -> str | None:
    """Why `child` is out of the scope `factor` of `parent` (None when it is in scope)."""
    touched = space.changed_factors(parent, child)
    outside = sorted(touched - {factor})
    if not outside:
        return None
    names = space.gene_names()
    genes_a, genes_b = space.genes(parent), space.genes(child)
    where = [names[p] for p in space.changed_positions(parent, child)
             if space.gene_change_factors(p, genes_a[p], genes_b[p]) - {factor}]
    return f"asked to change {factor} only, the edit also changes {', '.join(outside)} " \
           f"(at {', '.join(where)})"


def claim_violation(space: SearchSpace, elites: Sequence[Architecture], child: Architecture,
                    changed: str) -> str | None:
    """Why `child` touches parts its `changed` text does not name, or None.

    The diff is taken from every elite; the claim holds when some elite's (non-empty) diff
    lies inside the named positions. A text that names no position is not checked.
    """
    named = space.positions_named(changed)
    if not named or not elites:
        return None
    diffs = [set(space.changed_positions(e, child)) for e in elites]
    diffs = [d for d in diffs if d] or [set()]
    if any(d <= named for d in diffs):
        return None
    names = space.gene_names()
    closest = min(diffs, key=lambda d: (len(d - named), len(d)))
    claimed = ", ".join(names[p] for p in sorted(named))
    outside = ", ".join(names[p] for p in sorted(closest - named))
    return f"`changed` names {claimed}, but the edit from the closest elite also " \
           f"touches {outside}"


def feasibility(space: SearchSpace, arch: Architecture | str) -> tuple[Architecture | None, str,
                                                                        str | None]:
    """(architecture, kind, reason): kind `grammar` or `infeasible` with a reason, or the
    parsed architecture with kind `ok` and reason None."""
    try:
        parsed = space.parse(arch)
    except InvalidArchitectureError as error:
        return None, "grammar", str(error)
    reason = space.infeasibility(parsed)
    if reason is not None:
        return parsed, "infeasible", reason
    return parsed, "ok", None
