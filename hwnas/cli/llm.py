"""`hwnas llm check|prompts|calls`: the LLM endpoint, the prompt templates, the call log."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table

llm_app = typer.Typer(
    help="Check the LLM endpoint and look at prompts and logged calls. The endpoint comes from "
    "OPENAI_BASE_URL, OPENAI_API_KEY and HWNAS_LLM_MODEL (any OpenAI-compatible server), or "
    "--local for the embedded llama.cpp server.",
    no_args_is_help=True,
)


@llm_app.command("check")
def check_command(
    base_url: Annotated[str | None, typer.Option(help="endpoint, default $OPENAI_BASE_URL")] = None,
    model: Annotated[str | None, typer.Option(help="model, default $HWNAS_LLM_MODEL")] = None,
    local: Annotated[
        bool, typer.Option("--local", help="start the embedded llama.cpp server and check it")
    ] = False,
    timeout_s: Annotated[float, typer.Option(help="per-call timeout, seconds")] = 120.0,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Probe the endpoint: reachable, model listed, structured-output mode, one small call's
    latency. Exit code 1 when a problem is found.

    Examples: hwnas llm check --format json;  hwnas llm check --local
    """
    from hwnas.llm import LlmSettings, LocalLlamaServer, check_endpoint

    server = None
    try:
        if local:
            server = LocalLlamaServer().start()
            settings = server.settings(mode="auto", timeout_s=timeout_s)
        else:
            settings = LlmSettings.from_env(base_url=base_url, model=model, timeout_s=timeout_s)
        result = check_endpoint(settings)
    finally:
        if server is not None:
            server.stop()
    report = result.to_dict() | {"local": local}
    rows = [(k, v) for k, v in report.items() if k not in ("modes_tried",)]
    rows += [(f"mode {k}", v) for k, v in result.modes_tried.items()]
    emit(report, output_format, lambda: print_table("LLM endpoint", ["field", "value"], rows))
    if not result.ok:
        raise typer.Exit(1)


@llm_app.command("prompts")
def prompts_command(output_format: FormatOption = OutputFormat.text) -> None:
    """List the prompt templates shipped with hwnas (name.vN) and their variables."""
    from hwnas.llm import list_prompts, load_prompt

    entries = []
    for prompt_id in list_prompts():
        name, version = prompt_id.rsplit(".v", 1)
        template = load_prompt(name, int(version))
        entries.append({"id": prompt_id, "variables": sorted(template.variables),
                        "path": template.path})
    emit(entries, output_format, lambda: print_table(
        "prompt templates", ["id", "variables"],
        [(e["id"], ", ".join(e["variables"])) for e in entries],
    ))


@llm_app.command("calls")
def calls_command(
    database: Annotated[str, typer.Argument(help="SQLite file holding the llm_calls table")],
    run_id: Annotated[str | None, typer.Option(help="only this run's calls")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Summarise logged LLM calls: per template, calls, cache hits, rejections, tokens, seconds."""
    from pathlib import Path

    from hwnas.core import RunStoreError
    from hwnas.llm import SqliteLlmCallLog

    if not Path(database).is_file():
        raise RunStoreError(f"no such file {database!r}; pass the run's SQLite file")
    with SqliteLlmCallLog(database) as log:
        calls = log.calls(run_id)
    summary: dict[str, dict[str, float]] = {}
    for call in calls:
        row = summary.setdefault(call.template or "(none)", {
            "calls": 0, "cache_hits": 0, "rejected": 0, "errors": 0,
            "prompt_tokens": 0, "completion_tokens": 0, "latency_s": 0.0,
        })
        row["calls"] += 1
        row["cache_hits"] += int(call.cached)
        row["rejected"] += int(call.status == "rejected")
        row["errors"] += int(call.status == "error")
        if not call.cached:
            row["prompt_tokens"] += call.prompt_tokens
            row["completion_tokens"] += call.completion_tokens
            row["latency_s"] = round(row["latency_s"] + call.latency_s, 3)
    emit(summary, output_format, lambda: print_table(
        f"LLM calls in {database}", ["template", *next(iter(summary.values()), {}).keys()],
        [(name, *row.values()) for name, row in summary.items()],
    ) if summary else console.print("no LLM calls logged"))


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
