"""`hwnas deploy-check`: measure an exported model on a device against the run's prediction."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table


def deploy_check_command(
    model: Annotated[str, typer.Argument(help="an ONNX file written by `hwnas export`")],
    device: Annotated[str, typer.Option(
        "--device", help="catalog device to measure on")] = "host-cpu",
    run: Annotated[str | None, typer.Option(
        "--run", help="read the prediction from this run (default: the model's metadata)")] = None,
    runs_dir: Annotated[
        str, typer.Option("--runs-dir", help="folder holding run folders")] = "runs",
    profiler: Annotated[str | None, typer.Option(
        "--profiler", help="profiler name (default: the device's default profiler)")] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="inference threads")] = None,
    max_seconds: Annotated[float, typer.Option(
        "--max-seconds", help="cap on the timed repeats")] = 20.0,
    data: Annotated[str | None, typer.Option(
        "--data", help="also report test accuracy through ONNX Runtime next to torch's on "
        "this data (digits or a folder; the split the model's training recorded)")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Profile an exported model on a device and report the error of the run's prediction.

    Example: hwnas deploy-check exports/nb201-0123abcd.onnx --device host-cpu --format json

    Example: hwnas deploy-check exports/nb201-0123abcd.onnx --data digits
    """
    from hwnas.export import comparison_rows, deploy_check
    from hwnas.profilers import ProfileSettings

    settings = ProfileSettings(threads=threads, max_seconds=max_seconds)
    report = deploy_check(model, device, profiler, run, runs_dir if run else None, settings,
                          data)

    def render() -> None:
        m = report.measurement
        if report.comparisons:
            print_table(
                f"{report.arch_string or report.arch_id} on {report.device} ({report.profiler})",
                ["objective", "metric", "predicted", "measured", "error", "predicted by"],
                comparison_rows(report),
            )
        console.print(f"latency p50 {m.latency_p50_ms:.4g} ms, p90 {m.latency_p90_ms:.4g} ms "
                      f"over {m.repeats} runs; prediction from the {report.prediction_from}")
        if report.accuracy is not None:
            acc = report.accuracy
            torch_acc = "-" if acc["torch_test_acc"] is None else f"{acc['torch_test_acc']:.2f}%"
            console.print(f"test accuracy on {acc['data']} ({acc['test_images']} images): ONNX "
                          f"Runtime {acc['onnxruntime_test_acc']:.2f}%, torch {torch_acc} "
                          f"({acc['torch_from']})", markup=False, highlight=False)
        for note in report.notes:
            console.print(f"note: {note}", markup=False, highlight=False)

    emit(report.to_dict(), output_format, render)


def register(app: typer.Typer) -> None:
    app.command("deploy-check")(deploy_check_command)
