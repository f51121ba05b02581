"""Run reports: Pareto plots (PNG), the front as CSV, one self-contained HTML page."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core import RunStoreError, atomic_path, atomic_write_text
from hwnas.pareto import (
    assess_front,
    minimisation_matrix,
    non_dominated_mask,
    objective_signs,
    parse_objectives,
)

_BAND_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf")


class RunView:
    """What a report needs from a run store, gathered once."""

    def __init__(self, store: Any) -> None:
        if "search" not in store.config:
            raise RunStoreError(f"run {store.run_id} is not a search run; nothing to report")
        self.run_id = store.run_id
        self.folder = Path(store.folder)
        self.config = store.config["search"]
        self.status = store.status
        self.objectives = parse_objectives(self.config["objectives"])
        rows = list(zip(store.candidates(), store.candidate_extras(), strict=True))
        self.all = rows
        self.final = [(c, e) for c, e in rows if e.get("status", "ok") == "ok"
                      and e.get("confirmed", True) and len(c.objectives) == len(self.objectives)]
        self.failed = sum(1 for _, e in rows if e.get("status") == "failed")
        self.knowledge = store.knowledge()
        self.events = store.events()
        finished = [e["data"] for e in self.events if e["kind"] == "finished"]
        self.summary: dict[str, Any] = finished[-1] if finished else {}
        started = [e["data"] for e in self.events if e["kind"] == "started"]
        self.started: dict[str, Any] = started[0] if started else {}
        self.notes = [e["data"].get("message", "") for e in self.events if e["kind"] == "note"]
        self.llm_calls = _llm_calls(store.path, self.run_id)
        self.truth_values = store.truth()  # looked up after the search (hwnas.search._truth)
        self.signs = objective_signs([o.minimize for o in self.objectives])

    def vector(self, candidate: Any) -> np.ndarray:
        return self.matrix([candidate])[0]

    def matrix(self, candidates: list[Any]) -> np.ndarray:
        """Minimisation vectors of `candidates` (maximised objectives negated), as rows."""
        return minimisation_matrix(candidates, [o.name for o in self.objectives],
                                   [o.minimize for o in self.objectives])

    def front(self, band: int | None = None) -> list[tuple[Any, dict[str, Any]]]:
        rows = [r for r in self.final if band is None or r[0].band == band]
        if not rows:
            return []
        mask = non_dominated_mask(self.matrix([c for c, _ in rows]))
        front = [r for r, keep in zip(rows, mask, strict=True) if keep]
        return sorted(front, key=lambda r: tuple(self.vector(r[0])))

    def quality(self) -> dict[str, Any]:
        """HV (and HV ratio, IGD, recall when the true front is known), from the store."""
        from hwnas.search import compute_true_front
        from hwnas.spaces import create_space

        points = self.matrix([c for c, _ in self.final])
        out: dict[str, Any] = {"evaluated": len(self.all), "final": len(self.final),
                               "failed": self.failed}
        if not len(points):
            return out
        true_front = None
        if all(o.final_source.kind == "table" for o in self.objectives):
            true_front = compute_true_front(self.config["space"], self.objectives)
        keys = None
        if true_front is not None:
            space = create_space(self.config["space"])
            keys = {space.isomorphism_key(c.architecture) for c, _ in self.all}
        hv, quality = assess_front(points, true_front, keys)
        if quality is not None:
            out.update(quality.to_dict())
            out["normalisation"] = "true front ideal/nadir, reference point 1.1"
        else:
            out["hv"] = hv
            out["normalisation"] = "the run's own ideal/nadir, reference point 1.1 (no true front)"
        return out

    def true_front_points(self) -> np.ndarray | None:
        from hwnas.search import compute_true_front

        if all(o.final_source.kind == "table" for o in self.objectives):
            front = compute_true_front(self.config["space"], self.objectives)
            return None if front is None else front.points
        return None


def _llm_calls(path: Path, run_id: str) -> list[Any]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='llm_calls'").fetchone()
    finally:
        connection.close()
    if not exists:
        return []
    from hwnas.llm import SqliteLlmCallLog

    with SqliteLlmCallLog(path, run_id) as log:
        return log.calls(run_id)


def _axes(view: RunView) -> tuple[int, int]:
    """(x, y) objective indices: a latency/energy-like objective on x when there is one."""
    names = [o.name.lower() for o in view.objectives]
    x = next((i for i, n in enumerate(names)
              if any(w in n for w in ("latency", "energy", "ms"))), 1)
    y = next(i for i in range(len(names)) if i != x)
    return x, y


def _plot(view: RunView, band: int | None, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = _axes(view)
    objectives = view.objectives
    figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    rows = [r for r in view.final if band is None or r[0].band == band]
    if band is None:
        bands = sorted({c.band for c, _ in rows if c.band is not None})
        for b in bands:
            members = [c for c, _ in rows if c.band == b]
            axes.scatter([c.value(objectives[x].name) for c in members],
                         [c.value(objectives[y].name) for c in members], s=12, alpha=0.45,
                         color=_BAND_COLOURS[b % len(_BAND_COLOURS)], label=f"band {b}")
        true_points = view.true_front_points()
        if true_points is not None:
            true_values = true_points * view.signs
            order = np.argsort(true_values[:, x])
            axes.plot(true_values[order, x], true_values[order, y], "k--", lw=1, alpha=0.7,
                      label="true front")
    else:
        axes.scatter([c.value(objectives[x].name) for c, _ in rows],
                     [c.value(objectives[y].name) for c, _ in rows], s=14, alpha=0.5,
                     color=_BAND_COLOURS[band % len(_BAND_COLOURS)], label=f"band {band}")
    front = view.front(band)
    if front:
        fx = [c.value(objectives[x].name) for c, _ in front]
        fy = [c.value(objectives[y].name) for c, _ in front]
        order = np.argsort(fx)
        axes.plot(np.array(fx)[order], np.array(fy)[order], "-o", color="black", ms=4, lw=1.2,
                  label="found front")
    unit = lambda o: f" ({view.final[0][0].objectives[o.name].unit})" if view.final and \
        view.final[0][0].objectives[o.name].unit else ""  # noqa: E731
    axes.set_xlabel(objectives[x].name + unit(objectives[x]))
    axes.set_ylabel(objectives[y].name + unit(objectives[y]))
    axes.set_title(f"{'overall' if band is None else f'band {band}'}: {len(rows)} evaluated, "
                   f"front {len(front)}")
    if objectives[x].name.lower().startswith(("latency", "energy")):
        values = [c.value(objectives[x].name) for c, _ in rows]
        if values and min(values) > 0 and max(values) / min(values) > 8:
            axes.set_xscale("log")
    axes.grid(alpha=0.3)
    if rows:
        axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    with atomic_path(path) as temporary:  # never half a PNG under the final name
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return path


def _plot_truth(view: RunView, path: Path) -> Path | None:
    """Evaluated candidates at their true values: the re-ranked front, where the estimated
    front's members really lie, and the true front of the truth objectives."""
    truth = _judged_truth(view)
    names = [o.name for o in view.objectives]
    if not truth or set(truth.get("sources", {})) != set(names):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = _axes(view)

    def true_point(candidate: Any) -> tuple[float, float] | None:
        values = [view.truth_values.get((candidate.architecture.arch_id, n), (None,))[0]
                  for n in (names[x], names[y])]
        return None if None in values else (float(values[0]), float(values[1]))

    points = [p for p in (true_point(c) for c, _ in view.final) if p is not None]
    if not points:
        return None
    figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    axes.scatter(*zip(*points, strict=True), s=12, alpha=0.35, color="#7f7f7f",
                 label="evaluated (true values)")
    estimated = [p for p in (true_point(c) for c, _ in view.front()) if p is not None]
    if estimated:
        axes.scatter(*zip(*estimated, strict=True), s=30, marker="x", color="#d62728",
                     label="front as estimated (true values)")
    reranked = (view.summary.get("reranked_front") or {}).get("front") or []
    if reranked:
        rx = np.array([f[names[x]] for f in reranked])
        ry = np.array([f[names[y]] for f in reranked])
        order = np.argsort(rx)
        axes.plot(rx[order], ry[order], "-o", color="black", ms=4, lw=1.2, label="re-ranked front")
    true_points = _truth_front_points(view)
    if true_points is not None:
        order = np.argsort(true_points[:, x])
        axes.plot(true_points[order, x], true_points[order, y], "k--", lw=1, alpha=0.7,
                  label="true front")
    axes.set_xlabel(f"{names[x]} (truth: {truth['sources'][names[x]]})")
    axes.set_ylabel(f"{names[y]} (truth: {truth['sources'][names[y]]})")
    axes.set_title("judged by the truth")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return path


def _truth_front_points(view: RunView) -> np.ndarray | None:
    """The true front of the truth objectives, in the objectives' own units."""
    from hwnas.search import compute_true_front, parse_truth, truth_objectives_text

    specs = parse_truth(view.config.get("truth"), view.objectives)
    if len(specs) != len(view.objectives) or any(s.source.kind != "table" for s in specs):
        return None
    order = [o.name for o in view.objectives]
    specs = tuple(sorted(specs, key=lambda s: order.index(s.objective)))
    front = compute_true_front(view.config["space"],
                               parse_objectives(truth_objectives_text(specs)))
    return None if front is None else front.points * view.signs


def _judged_truth(view: RunView) -> dict[str, Any] | None:
    """The run's truth summary, unless every truth is the objective's own table (then the
    judged fronts are the run's own: the Quality section already shows them)."""
    truth = view.summary.get("truth")
    if not truth or set(truth.get("defaults", [])) >= set(truth.get("sources", {})):
        return None
    return truth


def _truth_section(view: RunView, plot: Path | None) -> list[str]:
    truth = _judged_truth(view)
    if not truth:
        return []
    parts = ["<h2>Estimates judged by the truth</h2>",
             "<p>Truth values are looked up only after the search has finished and are never "
             "seen by the strategy, the screen or the bands. The front as estimated is judged "
             "by its members' true values; the re-ranked front is the evaluated set ranked by "
             "the truth.</p>",
             _table(["objective", "truth", "default", "Spearman (estimate, truth)", "missing"],
                    [[n, src, n in truth.get("defaults", []), truth["spearman"].get(n),
                      truth.get("missing", {}).get(n)] for n, src in truth["sources"].items()])]
    rows = []
    for key, label in (("estimated_front", "as estimated"), ("reranked_front", "re-ranked")):
        judged = view.summary.get(key) or {}
        rows.append([label, judged.get("size"), judged.get("hv_ratio"), judged.get("igd"),
                     judged.get("recall")])
    parts.append(_table(["front", "size", "HV ratio", "IGD", "recall"], rows))
    if view.summary.get("labels"):
        parts.append(_table(["labels for", "source", "count", "seconds"], [
            [n, d.get("source"), d.get("count"), d.get("seconds")]
            for n, d in (view.summary.get("label_sources") or {}).items()]))
    if plot is not None:
        parts.append(_image(plot))
    reranked = (view.summary.get("reranked_front") or {}).get("front") or []
    names = [o.name for o in view.objectives]
    if reranked:
        parts.append(_table(["band", "architecture", *(f"{n} (truth)" for n in names),
                             *(f"{n} (estimate)" for n in names)],
                            [[f.get("band"), f["arch"], *(f.get(n) for n in names),
                              *(f.get("estimated", {}).get(n) for n in names)]
                             for f in reranked]))
    return parts


def _write_csv(view: RunView, path: Path) -> Path:
    names = [o.name for o in view.objectives]
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(["arch_id", "architecture", "band", *names, "sources", "origin"])
    for candidate, extra in view.front():
        writer.writerow([
            candidate.architecture.arch_id, candidate.architecture.string, candidate.band,
            *(repr(candidate.value(n)) for n in names),
            ";".join(f"{n}:{candidate.objectives[n].source}" for n in names),
            extra.get("origin", ""),
        ])
    return atomic_write_text(path, handle.getvalue())


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2}img{max-width:100%;margin:0.3em}.note{color:#8a5a00}
code{background:#f4f4f4;padding:0 3px}.grid{display:flex;flex-wrap:wrap}"""


def write_report(run: str | Path, out: str | Path | None = None,
                 root: str | Path | None = None) -> Path:
    """Write plots, front.csv and report.html for a run; the HTML page's path."""
    from hwnas.runs import RunStore

    with RunStore.open(run, root) as store:
        view = RunView(store)
    folder = Path(out) if out is not None else view.folder / "report"
    folder.mkdir(parents=True, exist_ok=True)
    bands = int(view.summary.get("bands", {}).get("partition", {}).get("bands")
                or view.config.get("bands") or 1)
    overall = _plot(view, None, folder / "pareto_overall.png")
    band_plots = [_plot(view, b, folder / f"pareto_band{b}.png") for b in range(bands)]
    csv_path = _write_csv(view, folder / "front.csv")
    truth_plot = _plot_truth(view, folder / "pareto_truth.png")
    quality = view.quality()
    page = _render_html(view, quality, overall, band_plots, csv_path, truth_plot)
    return atomic_write_text(folder / "report.html", page)


def _render_html(view: RunView, quality: dict[str, Any], overall: Path, band_plots: list[Path],
                 csv_path: Path, truth_plot: Path | None = None) -> str:
    names = [o.name for o in view.objectives]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>hwnas run "
             f"{html.escape(view.run_id)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Search run <code>{html.escape(view.run_id)}</code></h1>"]
    for note in view.notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    config_rows = [[k, v] for k, v in sorted(view.config.items())]
    config_rows.append(["status", view.status])
    parts += ["<h2>Run</h2>", _table(["setting", "value"], config_rows)]
    parts += ["<h2>Quality</h2>", _table(["figure", "value"], [[k, v] for k, v in quality.items()]),
              "<p>Recall counts true-front architectures up to isomorphism: a true-front cell is "
              "found when any cell of its isomorphism class was evaluated.</p>"]
    parts += _truth_section(view, truth_plot)
    partition = view.summary.get("bands", {}).get("partition") or view.started.get("partition", {})
    if partition:
        band_rows = []
        for b in range(int(partition.get("bands", 1))):
            evaluated = sum(1 for c, _ in view.final if c.band == b)
            band_rows.append([b, evaluated, len(view.front(b))])
        parts += ["<h2>Bands</h2>",
                  f"<p>feature: {html.escape(str(partition.get('feature')))} "
                  f"({html.escape(str(partition.get('description', '')))}); method "
                  f"{html.escape(str(partition.get('method')))}; edges "
                  f"{html.escape(json.dumps(partition.get('edges')))}</p>",
                  _table(["band", "evaluated", "front size"], band_rows)]
    parts += ["<h2>Pareto fronts</h2>", _image(overall), "<div class='grid'>"]
    parts += [_image(p) for p in band_plots]
    parts.append("</div>")
    front_rows = [[c.band, c.architecture.string, *(c.value(n) for n in names), e.get("origin", "")]
                  for c, e in view.front()]
    parts += [f"<h2>Front ({len(front_rows)} architectures, also in {csv_path.name})</h2>",
              _table(["band", "architecture", *names, "origin"], front_rows)]
    rejections = view.summary.get("rejections", {})
    if rejections:
        parts += ["<h2>Rejected proposals</h2>",
                  _table(["reason", "count"], [[k, v] for k, v in sorted(rejections.items())])]
    parts.append("<h2>Knowledge bases</h2>")
    if not view.knowledge:
        parts.append("<p>This strategy keeps no knowledge base.</p>")
    for version in view.knowledge:
        content = version["content"]
        band = "cross-band (distilled)" if version["band"] is None else f"band {version['band']}"
        rules = [[h.get("rule", ""), h.get("evidence", ""), h.get("bands", "")]
                 for h in content.get("heuristics", [])]
        source = html.escape(str(content.get("source")))
        parts.append(f"<h3>Round {version['round']}, {band} <small>({source})</small></h3>")
        parts.append(_table(["heuristic", "evidence", "bands"], rules) if rules else
                     "<p>(no heuristic yet)</p>")
    parts.append("<h2>LLM usage</h2>")
    llm = view.summary.get("llm") or view.started.get("llm", "none")
    if not view.llm_calls:
        parts.append(f"<p>LLM: {html.escape(str(llm))}; no LLM calls in this run.</p>")
    else:
        by_template: dict[str, list[Any]] = {}
        for call in view.llm_calls:
            by_template.setdefault(call.template or "-", []).append(call)
        rows = [[t, len(cs), sum(1 for c in cs if c.cached), sum(1 for c in cs if c.status != "ok"),
                 sum(c.prompt_tokens for c in cs), sum(c.completion_tokens for c in cs),
                 round(sum(c.latency_s for c in cs), 2)] for t, cs in sorted(by_template.items())]
        parts.append(f"<p>model: {html.escape(str(llm))}</p>")
        parts.append(_table(["template", "calls", "cached", "rejected/error", "prompt tokens",
                             "completion tokens", "latency s"], rows))
        proposals = view.summary.get("llm_proposals")
        if proposals:
            parts.append(_table(["LLM proposals", "count"], [[k, v] for k, v in proposals.items()]))
    parts.append("</body></html>")
    return "\n".join(parts)
