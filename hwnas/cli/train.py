"""`hwnas train`: train an architecture (or a run's pick) on digits, CIFAR or an image folder."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hwnas.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    eta_progress,
    print_table,
)

EXAMPLES = """
Examples:

  hwnas train '|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|' \\
      --data digits --epochs 30 --out trained/cell

  hwnas train RUN --pick knee --data digits --epochs 30 --out trained/knee --format json

  hwnas train ARCH --data ~/data/cifar-10-batches-py --recipe recipe.toml \\
      --device cuda --out trained/c10

Run the same command again to resume a killed training from its last epoch.
"""


def _architecture(target: str, pick: str | None, runs_dir: str, space: str) -> Any:
    """An architecture string, or a run (id or folder) resolved through --pick."""
    from hwnas.spaces import create_space

    if "|" in target or "~" in target:
        if pick is not None:
            from hwnas.core import ConfigError

            raise ConfigError("--pick chooses from a run; drop it when passing an architecture")
        return create_space(space).parse(target)
    from hwnas.export import pick_from_run

    chosen, _, _ = pick_from_run(target, pick or "knee", runs_dir)
    return chosen.candidate.architecture


def train_command(
    target: Annotated[str, typer.Argument(
        metavar="ARCH|RUN", help="an architecture string, or a run id (under --runs-dir) or "
        "run folder to pick from")],
    out: Annotated[str, typer.Option("--out", help="folder for weights, checkpoint, "
                                     "train.sqlite and result.json")],
    pick: Annotated[str | None, typer.Option(
        "--pick", help="for a RUN: knee | fastest | most-accurate | best:OBJECTIVE | an arch_id "
        "prefix (default knee)")] = None,
    runs_dir: Annotated[
        str, typer.Option("--runs-dir", help="folder holding run folders")] = "runs",
    space: Annotated[str, typer.Option("--space", help="space of an architecture string")] = \
        "nb201",
    data: Annotated[str, typer.Option(
        "--data", help="digits (scikit-learn's, the default), a CIFAR-10/100 python-batch "
        "folder, or an image folder (one subfolder per class); nothing is downloaded")] = "digits",
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, help="epochs (default: the recipe's; NAS-Bench-201: 200)")] = None,
    batch_size: Annotated[int | None, typer.Option(
        "--batch-size", min=2, help="images per step (default: the recipe's; 256)")] = None,
    recipe_file: Annotated[str | None, typer.Option(
        "--recipe", help="TOML recipe (keys as in docs/train.md) over NAS-Bench-201's")] = None,
    set_values: Annotated[list[str] | None, typer.Option(
        "--set", help="recipe KEY=VALUE (repeatable), e.g. --set learning_rate=0.05")] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the weights and batches")] = 0,
    device: Annotated[str, typer.Option(
        "--device", help="cpu (deterministic) or cuda (mixed precision, channels-last)")] = "cpu",
    threads: Annotated[int | None, typer.Option(
        "--threads", min=1, help="torch CPU threads (default: torch's; recorded, reused on "
        "resume)")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Train an architecture for image classification; print its validation and test accuracy."""
    from hwnas.cli._output import progress_enabled
    from hwnas.train import load_recipe, parse_overrides, resolve_device, train_architecture

    overrides = parse_overrides(set_values)
    overrides.update({k: v for k, v in (("epochs", epochs), ("batch_size", batch_size))
                      if v is not None})
    recipe = load_recipe(recipe_file, **overrides)
    resolve_device(device)  # fail before picking or loading anything
    arch = _architecture(target, pick, runs_dir, space)
    bar = None
    if progress_enabled() and output_format == OutputFormat.text:
        from rich.progress import TextColumn

        bar = eta_progress("train", TextColumn("{task.description}"), console=console,
                           transient=True)
    task_id = None

    def on_progress(done: int, total: int, description: str) -> None:
        nonlocal task_id
        if bar is None:
            return
        if task_id is None:
            task_id = bar.add_task("", total=total, completed=done - 1)
        bar.update(task_id, completed=done, description=description)

    if bar is not None:
        with bar:
            result = train_architecture(arch, out, data, recipe, seed, device, threads,
                                        on_progress)
    else:
        result = train_architecture(arch, out, data, recipe, seed, device, threads)
    document = result.summary()

    def render() -> None:
        rows = [("arch", result.arch.string), ("arch_id", result.arch.arch_id),
                ("data", f"{result.data.get('description')} "
                         f"(split {result.data.get('split', {}).get('train')}/"
                         f"{result.data.get('split', {}).get('val')}/"
                         f"{result.data.get('split', {}).get('test')})"),
                ("epochs", result.epochs), ("val_acc", f"{result.val_acc:.2f}%"),
                ("test_acc", f"{result.test_acc:.2f}%"), ("seconds", f"{result.seconds:.1f}"),
                ("device", f"{result.device} ({result.threads or '-'} threads)"),
                ("weights", result.weights)]
        if result.resumed_from_epoch:
            rows.append(("resumed after epoch", result.resumed_from_epoch))
        if result.cached:
            rows.append(("note", "already trained: the stored result"))
        print_table("training", ["field", "value"], rows)

    emit(document, output_format, render)


def register(app: typer.Typer) -> None:
    app.command("train", help="Train an architecture, or a run's pick, for image "
                "classification (checkpointed, resumable).\n\n\b\n" + EXAMPLES)(train_command)
