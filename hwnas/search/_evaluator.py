"""The staged evaluator: cheap sources screen every new proposal, the final ones confirm.

Each objective has a chain of sources, cheapest first. Every proposal gets the first
source of every objective; a proposal whose cheap vector lands within `confirm_margin`
of the current front (a share of each objective's range) is confirmed with the last
source of each screened objective, and only a confirmed (or failed) evaluation counts
against the budget. Within a stage, cheaper source kinds run first and later ones skip
architectures an earlier objective already failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwnas.core import Architecture, Candidate, ObjectiveValue
from hwnas.pareto import dominance_gap
from hwnas.search._records import Evaluation
from hwnas.search._sources import COST_RANK, ObjectiveSource, SourceValue
from hwnas.search._strategy import Proposal

if TYPE_CHECKING:
    from hwnas.search._context import SearchContext

SKIPPED = SourceValue(None, "skipped: an earlier objective failed")


class StagedEvaluator:
    """Evaluates new proposals for a search context and stores each one before returning it."""

    def __init__(self, context: SearchContext) -> None:
        self.context = context

    def evaluate(self, proposals: list[Proposal]) -> list[Evaluation]:
        """One stored Evaluation per proposal, in order (cheap first, confirm near the front)."""
        context = self.context
        archs = [p.arch for p in proposals]
        first = {i: chain[0] for i, chain in enumerate(context.sources)}
        cheap = self._stage_values(first, archs)
        screened = [i for i, o in enumerate(context.objectives) if o.screened]
        confirm = [True] * len(archs)
        if screened:
            confirm = [self._near_front(self._vector_of(cheap, j)) if self._all_ok(cheap, j)
                       else False for j in range(len(archs))]
        final_values: dict[int, list[SourceValue]] = {}
        to_confirm = [j for j in range(len(archs)) if confirm[j] and self._all_ok(cheap, j)]
        if screened and to_confirm:
            expensive = {i: context.sources[i][-1] for i in screened}
            got = self._stage_values(expensive, [archs[j] for j in to_confirm])
            for i in screened:
                column: list[SourceValue] = [SourceValue(None, "not confirmed")] * len(archs)
                for position, j in enumerate(to_confirm):
                    column[j] = got[i][position]
                final_values[i] = column
        out = []
        for j, proposal in enumerate(proposals):
            out.append(self._record(proposal, j, cheap, final_values, screened, confirm[j]))
        return out

    def _stage_values(self, stage: dict[int, ObjectiveSource],
                      archs: list[Architecture]) -> dict[int, list[SourceValue]]:
        """Values of one source per objective, cheapest kind first; later ones skip failures."""
        out: dict[int, list[SourceValue]] = {}
        alive = list(range(len(archs)))
        for objective_index, source in sorted(stage.items(), key=lambda kv: COST_RANK[kv[1].kind]):
            values: list[SourceValue] = [SKIPPED] * len(archs)
            if alive:
                got = self.context.executor.values(source, [archs[i] for i in alive])
                for i, value in zip(alive, got, strict=True):
                    values[i] = value
            out[objective_index] = values
            alive = [i for i in alive if values[i].ok]
        return out

    @staticmethod
    def _all_ok(values: dict[int, list[SourceValue]], j: int) -> bool:
        return all(column[j].ok for column in values.values())

    def _vector_of(self, values: dict[int, list[SourceValue]], j: int) -> np.ndarray:
        context = self.context
        row = [values[i][j].value for i in range(len(context.objectives))]
        return np.array(row) * context.signs

    def _near_front(self, point: np.ndarray) -> bool:
        """Within `confirm_margin` of each objective's range of being non-dominated."""
        context = self.context
        cheap_units = context.screen_in_cheap_units
        front = context.screen_archive.points if cheap_units else context.archive.points
        if len(front) == 0:
            return True
        finals = np.array(context.screen_points) if cheap_units else \
            np.array([context.vector(e.candidate) for e in context.final()])
        span = finals.max(axis=0) - finals.min(axis=0) if len(finals) > 1 else np.ones(len(point))
        span = np.where(span > 0, span, 1.0)
        gap = dominance_gap(point[None, :], front, span)[0]  # > 0: dominated by that much
        return bool(gap <= context.config.confirm_margin)

    def _record(self, proposal: Proposal, j: int, cheap: dict[int, list[SourceValue]],
                final_values: dict[int, list[SourceValue]], screened: list[int],
                wanted_confirmation: bool) -> Evaluation:
        context = self.context
        objectives: dict[str, ObjectiveValue] = {}
        errors = []
        measurements = []
        seconds: dict[str, float] = {}  # what each value cost to produce (proxy scores...)
        confirmed = True
        cheap_ok = self._all_ok(cheap, j)
        for i, objective in enumerate(context.objectives):
            value = cheap[i][j]
            source = context.sources[i][0]
            if i in screened:
                if i in final_values and final_values[i][j].ok:
                    value, source = final_values[i][j], context.sources[i][-1]
                elif i in final_values and final_values[i][j].error != "not confirmed":
                    errors.append(f"{objective.name}: {final_values[i][j].error}")
                    confirmed = False
                else:
                    confirmed = False
            if value.measurement is not None:
                measurements.append(value.measurement)
            if value.seconds > 0:
                seconds[objective.name] = round(value.seconds, 6)
            if value.ok:
                objectives[objective.name] = ObjectiveValue(
                    objective.name, float(value.value), source.unit, source.recorded_as,
                    objective.minimize)
            elif value.error and not value.error.startswith("skipped"):
                errors.append(f"{objective.name}: {value.error}")
        failed = not cheap_ok or (
            wanted_confirmation and screened and not confirmed and bool(errors))
        status = "failed" if failed else "ok"
        counted = confirmed or failed
        candidate = Candidate(proposal.arch, objectives if not failed else {},
                              context.band_of(proposal.arch))
        error = "; ".join(errors) or None
        extra = {"status": status, "confirmed": confirmed and not failed, "counted": counted,
                 "error": error, "origin": proposal.origin, "note": proposal.note,
                 "target_band": proposal.band}
        if failed:
            extra["partial"] = {name: value.value for name, value in objectives.items()}
        screen = {context.objectives[i].name: float(cheap[i][j].value) for i in screened
                  if cheap[i][j].ok} if context.screen_in_cheap_units else None
        if screen:
            extra["screen"] = screen
        if seconds:
            extra["seconds"] = seconds
        context.store.add_candidate_with_measurements(candidate, extra, measurements)
        return Evaluation(candidate, proposal, status, confirmed and not failed, counted, error,
                          screen=screen)
