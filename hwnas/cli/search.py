"""`hwnas search`: run, or resume, a hardware-aware architecture search."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hwnas.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    print_table,
    progress_enabled,
    report_interrupt,
)

EXAMPLES = """
Examples:

  hwnas search --space nb201 --device raspberry-pi-5 \\
      --objectives accuracy=table:cifar100,latency=table:pi5-onnx \\
      --strategy coevo --bands 4 --budget 200 --seed 0 --out runs/

  hwnas search --device raspberry-pi-4 --truth accuracy=table:cifar10 \\
      --objectives accuracy=ensemble:table:cifar10:50,latency=table:hwnasbench-raspi4

  hwnas search --preset demo          # proxy accuracy + live ONNX Runtime latency on this host

  hwnas search --resume 20261126-010203-coevo-abc123 --out runs/
"""


def _parse_options(items: list[str] | None) -> dict[str, Any]:
    import json

    from hwnas.core import ConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option {item!r} must be KEY=VALUE, e.g. --option kappa=0.5")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _bounds(text: str | None) -> tuple[float, ...] | None:
    from hwnas.core import ConfigError

    if not text:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--band-bounds {text!r} must be comma-separated numbers, e.g. 1.2,2.5,6") from None


def search_command(
    objectives: Annotated[str | None, typer.Option(
        help="NAME=SOURCE:TARGET,... sources: table, predictor, proxy, profile; "
             "chain cheap>expensive to confirm near the front")] = None,
    space: Annotated[str | None, typer.Option(help="search space")] = None,
    device: Annotated[str | None, typer.Option(help="device (catalog name) for bands and profiling")] = None,
    strategy: Annotated[str | None, typer.Option(
        help="random, evolution, nsga2, coevo, spark, seki")] = None,
    bands: Annotated[int | None, typer.Option(help="number of latency bands K")] = None,
    band_by: Annotated[str | None, typer.Option(help="latency, conv3x3, mflops or params")] = None,
    band_bounds: Annotated[str | None, typer.Option(help="explicit band edges, e.g. 1.2,2.5,6")] = None,
    band_predictor: Annotated[str | None, typer.Option(
        help="saved latency predictor for the latency bands (hwnas predict train)")] = None,
    budget: Annotated[int | None, typer.Option(help="evaluations (expensive ones) to spend")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed")] = None,
    out: Annotated[str, typer.Option("--out", help="folder that holds run folders")] = "runs",
    llm: Annotated[str | None, typer.Option(
        help="none, local (embedded llama.cpp model), env (OPENAI_* settings) or a model name")] = None,
    executor: Annotated[str | None, typer.Option(help="local or ray")] = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (ray://host:port or auto)")] = None,
    ray_timeout: Annotated[float | None, typer.Option(
        help="seconds a Ray batch may give no result before its outstanding evaluations fail "
             "(default 900)")] = None,
    truth: Annotated[str | None, typer.Option(
        help="ground truth NAME=SOURCE:TARGET,... looked up only after the search, e.g. "
             "accuracy=table:cifar10 (an objective with a table source is its own truth)")] = None,
    labels: Annotated[int | None, typer.Option(
        help="K labelled architectures for ensemble objectives that name none "
             "(accuracy=ensemble:table:cifar10); counted against --budget")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", help="strategy option KEY=VALUE (repeatable), e.g. --option kappa=0.5")] = None,
    preset: Annotated[str | None, typer.Option(help="a named configuration, e.g. demo")] = None,
    resume: Annotated[str | None, typer.Option(help="continue a stopped run (id under --out, or folder)")] = None,
    report: Annotated[bool | None, typer.Option(
        "--report/--no-report", help="write the HTML report at the end (default: on for presets)")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Search the Pareto front of a space for a device."""
    from hwnas.core import ConfigError
    from hwnas.search import (
        NO_LLM_NOTE,
        SearchConfig,
        preset_config,
        resume_search,
        run_search,
    )

    given = {
        "objectives": objectives, "space": space, "device": device, "strategy": strategy,
        "bands": bands, "band_by": band_by, "band_bounds": _bounds(band_bounds), "band_predictor": band_predictor, "budget": budget,
        "seed": seed, "llm": llm, "executor": executor, "ray_address": ray_address,
        "ray_timeout_s": ray_timeout,
        "truth": truth, "labels": labels,
    }
    progress_bar = None
    if progress_enabled() and output_format == OutputFormat.text:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        progress_bar = Progress(TextColumn("search"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.description}"), console=console, transient=True)

    task_id = None
    started: dict[str, str] = {}

    def on_progress(context: Any) -> None:
        started.setdefault("run", str(context.store.folder))
        if progress_bar is None:
            return
        nonlocal task_id
        if task_id is None:
            task_id = progress_bar.add_task("", total=context.budget)
        progress_bar.update(task_id, completed=context.evaluations,
                            description=f"front {len(context.archive)}")

    if resume:
        if any(v is not None for v in given.values()) or preset:
            raise ConfigError("--resume takes only --out (the run keeps its stored settings)")
        runner = lambda: resume_search(resume, out, progress=on_progress)  # noqa: E731
    else:
        values: dict[str, Any] = preset_config(preset, **given) if preset else {
            k: v for k, v in given.items() if v is not None}
        if "objectives" not in values:
            raise ConfigError(
                "--objectives is required (e.g. accuracy=table:cifar100,latency=table:pi5-onnx) "
                "unless a --preset gives it")
        values.setdefault("strategy", "coevo")
        strategy_options = dict(values.pop("strategy_options", {}))
        strategy_options.update(_parse_options(option))
        config = SearchConfig(strategy_options=strategy_options, **values)
        runner = lambda: run_search(config, out, progress=on_progress)  # noqa: E731
        if config.strategy == "coevo" and config.llm in (None, "", "none") and \
                output_format == OutputFormat.text:
            console.print(f"[yellow]{NO_LLM_NOTE}[/yellow]", soft_wrap=True)
    try:
        if progress_bar is not None:
            with progress_bar:
                result = runner()
        else:
            result = runner()
    except KeyboardInterrupt:
        if "run" in started:
            report_interrupt(f"interrupted; finished work is saved: resume with `hwnas search "
                             f"--resume {started['run']}`")
        raise
    if resume and result.strategy == "coevo" and result.llm == "none" and \
            output_format == OutputFormat.text:
        console.print(f"[yellow]{NO_LLM_NOTE}[/yellow]")
    write_report = report if report is not None else bool(preset)
    report_path = None
    if write_report:
        from hwnas.report import write_report as render

        report_path = str(render(result.folder))
    data = result.summary() | {"front": result.front, "report": report_path}

    def render_text() -> None:
        hidden = ("bands", "folder", "truth", "estimated_front", "reranked_front",
                  "label_sources")
        rows = [(k, v) for k, v in result.summary().items() if k not in hidden]
        if result.truth is not None:
            rows.append(("spearman (estimate, truth)", result.truth["spearman"]))
            for name in ("estimated_front", "reranked_front"):
                judged = getattr(result, name) or {}
                rows.append((f"{name.replace('_', ' ')} (by the truth)",
                             {k: v for k, v in judged.items() if k != "front"}))
        rows.append(("bands (evaluations)", result.bands["evaluations"]))
        print_table(f"run {result.run}", ["field", "value"], rows)
        names = [k for k in (result.front[0] if result.front else {}) if k not in ("arch", "band")]
        print_table("front", ["band", "architecture", *names],
                    [(f["band"], f["arch"], *(f"{f[n]:.4g}" for n in names)) for f in result.front])
        # plain lines, never wrapped: scripts (make demo) read the last one
        typer.echo(f"run folder: {result.folder}")
        if report_path:
            typer.echo(f"report: {report_path}")

    emit(data, output_format, render_text)


def register(app: typer.Typer) -> None:
    app.command("search", help="Search the accuracy/latency Pareto front of a space for a device."
                + EXAMPLES.replace("\n\n", "\n\n\b\n", 1))(search_command)
