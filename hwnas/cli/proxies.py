"""`hwnas proxies list|score|eval|fit|predict`: zero-cost proxies and the learned ensemble."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table

proxies_app = typer.Typer(
    help="Zero-cost accuracy proxies and the learned ensemble. Proxies that need images use "
    "--data-dir (CIFAR-10/100 torchvision python layout, or an image folder of class "
    "subfolders); without it they use scikit-learn's bundled digits (real 8x8 images resized "
    "to 32x32). Nothing is downloaded.",
    no_args_is_help=True,
)

ProxyOption = Annotated[
    list[str] | None,
    typer.Option("--proxy", "-p", help="proxy name (repeat; default: all, see `proxies list`)"),
]
DataDirOption = Annotated[
    str | None,
    typer.Option("--data-dir", help="CIFAR-10/100 folder (python batches: pickles, read only "
                 "because you named the folder) or image folder; default: sklearn digits"),
]
SeedOption = Annotated[int, typer.Option(help="seed of the weights, batches and sample")]
SpaceOption = Annotated[str, typer.Option("--space", help="search space")]
CacheOption = Annotated[
    str | None, typer.Option("--cache", help="SQLite file caching proxy values across runs"),
]
ThreadsOption = Annotated[
    int | None, typer.Option("--threads", min=1, help="torch CPU threads (default: torch's)"),
]
BatchOption = Annotated[
    int | None, typer.Option("--batch-size", min=2, help="images per proxy batch (default 16)"),
]
TableOption = Annotated[
    str | None,
    typer.Option("--table", help="CSV with an `arch` column and --metric, or a named table "
                 "(nb201-accuracy); default: nb201/accuracy.csv in the benchmark data folder"),
]
MetricOption = Annotated[str, typer.Option("--metric", help="label column of the table")]


def _json_number(value: float) -> float | None:
    """JSON has no infinities: a non-finite proxy value (naswot's -inf) becomes null."""
    import math

    return value if math.isfinite(value) else None


def _setup(threads: int | None) -> None:
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _default_table(table: str | None) -> str:
    if table is not None:
        return table
    from hwnas.benchmarks import find_data_dir

    return str(find_data_dir() / "nb201" / "accuracy.csv")


def _progress(label: str):  # noqa: ANN202
    from hwnas.cli._output import error_console, progress_enabled

    if not progress_enabled():
        return None

    def report(done: int, total: int) -> None:
        error_console.print(f"{label}: {done}/{total}", end="\r" if done < total else "\n")

    return report


@proxies_app.command("list")
def list_command(output_format: FormatOption = OutputFormat.text) -> None:
    """List the proxies. Example: hwnas proxies list --format json"""
    from hwnas.proxies import create_proxy, list_proxies

    rows = [
        {"name": n, "uses_images": p.uses_images, "batch_size": p.batch_size,
         "description": p.description}
        for n in list_proxies() for p in [create_proxy(n)]
    ]
    emit(rows, output_format, lambda: print_table(
        "proxies", ["name", "uses images", "batch", "what"],
        [(r["name"], r["uses_images"], r["batch_size"], r["description"]) for r in rows]))


@proxies_app.command("score")
def score_command(
    archs: Annotated[list[str] | None, typer.Argument(help="architecture strings")] = None,
    sample: Annotated[int, typer.Option("--sample", "-n", min=0,
                                        help="also score this many random architectures")] = 0,
    proxy: ProxyOption = None,
    data_dir: DataDirOption = None,
    seed: SeedOption = 0,
    space: SpaceOption = "nb201",
    batch_size: BatchOption = None,
    cache: CacheOption = None,
    threads: ThreadsOption = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Print proxy values (and seconds) per architecture.

    Example: hwnas proxies score -n 3 -p synflow -p naswot --format json
    """
    from hwnas.core import ConfigError
    from hwnas.proxies import resolve_data, resolve_proxies, score_architectures
    from hwnas.spaces import create_space

    _setup(threads)
    search_space = create_space(space)
    chosen = [search_space.parse(a) for a in archs or []] + search_space.sample(sample, seed=seed)
    if not chosen:
        raise ConfigError("nothing to score: give architecture strings or --sample N")
    data = resolve_data(data_dir)
    proxies = resolve_proxies(proxy, batch_size)
    results = score_architectures(chosen, proxies, data, seed, search_space, cache,
                                  progress=_progress("scoring"))
    document = {
        "space": search_space.name, "seed": seed, "data": data.to_dict(),
        "architectures": [
            {"arch": a.string, "arch_id": a.arch_id,
             "scores": {n: {"value": _json_number(r.value), "seconds": r.seconds,
                            "data": r.data}
                        for n, r in row.items()}}
            for a, row in zip(chosen, results, strict=True)
        ],
    }
    names = [p.name for p in proxies]

    def render() -> None:
        for proxy_instance in proxies:
            console.print(f"{proxy_instance.name} saw: {proxy_instance.data_label(data)}",
                          highlight=False, markup=False)
        if any(p.uses_images for p in proxies):
            console.print(f"images: {data.description}", highlight=False, markup=False)
        print_table("proxy values", ["arch", *names],
                    [(a.string, *(f"{row[n].value:.4g}" for n in names))
                     for a, row in zip(chosen, results, strict=True)])

    emit(document, output_format, render)


@proxies_app.command("eval")
def eval_command(
    table: TableOption = None,
    metric: MetricOption = "cifar100_test_acc",
    archs: Annotated[int, typer.Option("--archs", min=8, help="random rows to score")] = 100,
    train: Annotated[int, typer.Option("--train", "-k", min=0,
                                       help="labelled rows the ensemble trains on (0: none)")] = 50,
    proxy: ProxyOption = None,
    data_dir: DataDirOption = None,
    seed: SeedOption = 0,
    space: SpaceOption = "nb201",
    batch_size: BatchOption = None,
    cache: CacheOption = None,
    threads: ThreadsOption = None,
    save: Annotated[str | None, typer.Option("--save", help="save the trained ensemble to "
                                              "this folder")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Spearman and Kendall of each proxy, and of the ensemble trained on --train rows and
    tested on the rest, against a labelled table.

    Example: hwnas proxies eval --archs 60 --train 30 --metric cifar10_test_acc --format json
    """
    import random

    from hwnas.proxies import (
        AccuracyEstimator,
        ensemble_correlation,
        proxy_correlations,
        read_labels,
        resolve_data,
        resolve_proxies,
        score_architectures,
    )
    from hwnas.spaces import create_space

    _setup(threads)
    table_path = _default_table(table)
    strings, labels = read_labels(table_path, metric)
    search_space = create_space(space)
    count = min(archs, len(strings))
    rows = sorted(random.Random(seed).sample(range(len(strings)), count))
    chosen = [search_space.parse(strings[i]) for i in rows]
    chosen_labels = [labels[i] for i in rows]
    data = resolve_data(data_dir)
    proxies = resolve_proxies(proxy, batch_size)
    scores = score_architectures(chosen, proxies, data, seed, search_space, cache,
                                 progress=_progress("scoring"))
    document: dict[str, object] = {
        "table": table_path, "metric": metric, "space": search_space.name, "archs": count,
        "seed": seed, "data": data.to_dict(),
        "proxies": proxy_correlations(scores, chosen_labels),
    }
    if train:
        estimator = AccuracyEstimator(search_space, proxies, data, seed)

        def fit_predict(train_rows: list[int], test_rows: list[int]) -> list[float]:
            estimator.fit([chosen[i] for i in train_rows], [chosen_labels[i] for i in train_rows],
                          [scores[i] for i in train_rows])
            mean, _ = estimator.predict([chosen[i] for i in test_rows],
                                        [scores[i] for i in test_rows])
            return list(mean)

        document["ensemble"] = ensemble_correlation(fit_predict, chosen_labels, train, seed)
        if save:
            document["ensemble"]["saved"] = str(estimator.save(save))  # type: ignore[index]

    def render() -> None:
        console.print(f"{count} architectures of {table_path}, metric {metric}",
                      highlight=False, markup=False)
        console.print(f"proxy images: {data.description}", highlight=False, markup=False)
        result_rows = [(n, f"{r['spearman']:.3f}", f"{r['kendall']:.3f}",
                        f"{r['seconds_per_arch']:.3f}")
                       for n, r in document["proxies"].items()]  # type: ignore[union-attr]
        if "ensemble" in document:
            e = document["ensemble"]
            result_rows.append((f"ensemble (K={e['train']}, tested on {e['test']})",  # type: ignore[index]
                                f"{e['spearman']:.3f}", f"{e['kendall']:.3f}", "-"))  # type: ignore[index]
        print_table("rank correlation with " + metric,
                    ["proxy", "spearman", "kendall", "s/arch"], result_rows)

    emit(document, output_format, render)


@proxies_app.command("fit")
def fit_command(
    out: Annotated[str, typer.Argument(help="folder to write the ensemble into")],
    table: TableOption = None,
    metric: MetricOption = "cifar100_test_acc",
    train: Annotated[int, typer.Option("--train", "-k", "--k", min=5,
                                       help="random labelled rows (or architectures to "
                                       "train, with --labels train:...) to fit on")] = 50,
    labels: Annotated[str | None, typer.Option(
        "--labels", help="train:DATA:EPOCHS: label --k random architectures by training them "
        "on your data (validation accuracy; cached) instead of reading a table")] = None,
    recipe: Annotated[str | None, typer.Option(
        "--recipe", help="with --labels train:...: a TOML training recipe")] = None,
    train_cache: Annotated[str | None, typer.Option(
        "--train-cache", help="with --labels train:...: folder of trained results "
        "(default ~/.cache/hwnas/train)")] = None,
    proxy: ProxyOption = None,
    data_dir: DataDirOption = None,
    seed: SeedOption = 0,
    space: SpaceOption = "nb201",
    cache: CacheOption = None,
    threads: ThreadsOption = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Train the ensemble on --train labelled rows of a table and save it (non-pickle).

    Example: hwnas proxies fit model/ --train 50 --metric cifar100_test_acc

    Example: hwnas proxies fit model/ --labels train:digits:5 --k 50
    """
    import random

    from hwnas.proxies import AccuracyEstimator, read_labels

    _setup(threads)
    if labels is not None:
        if table is not None:
            from hwnas.core import ConfigError

            raise ConfigError("--labels train:... labels by training; drop --table (or --labels)")
        _fit_on_trained(out, labels, train, recipe, train_cache, proxy, data_dir, seed, space,
                        cache, threads, output_format)
        return
    table_path = _default_table(table)
    strings, labels = read_labels(table_path, metric)
    rows = sorted(random.Random(seed).sample(range(len(strings)), min(train, len(strings))))
    estimator = AccuracyEstimator(space, proxy, data_dir, seed, cache)
    estimator.fit([strings[i] for i in rows], [labels[i] for i in rows])
    saved = estimator.save(out)
    document = {"saved": str(saved), "table": table_path, "metric": metric,
                "manifest": estimator.manifest}
    emit(document, output_format, lambda: console.print(
        f"saved ensemble over {len(estimator.proxies)} proxies, trained on {len(rows)} rows of "
        f"{table_path} ({metric}), to {saved}", highlight=False, markup=False))


def _fit_on_trained(out: str, labels: str, count: int, recipe_file: str | None,
                    train_cache: str | None, proxy: list[str] | None, data_dir: str | None,
                    seed: int, space: str, cache: str | None, threads: int | None,
                    output_format: OutputFormat) -> None:
    """`proxies fit --labels train:DATA:EPOCHS`: labels from training on the user's data."""
    from hwnas.core import ConfigError
    from hwnas.proxies import AccuracyEstimator
    from hwnas.spaces import create_space
    from hwnas.train import (
        TrainCache,
        distinct_sample,
        load_recipe,
        parse_train_target,
        trained_labels,
    )

    kind, _, rest = labels.partition(":")
    if kind != "train":
        raise ConfigError(f"--labels {labels!r}: use train:DATA:EPOCHS (e.g. train:digits:5), "
                          "or drop --labels to read --table/--metric")
    target = parse_train_target(rest)
    trainer = TrainCache(target, load_recipe(recipe_file), seed, train_cache, threads=threads)
    search_space = create_space(space)
    archs = distinct_sample(search_space, count, seed)
    report = _progress(f"training {target.epochs} epochs on {trainer.data_name}")
    results = trained_labels(archs, trainer,
                             None if report is None else lambda done, total, _: report(done,
                                                                                        total))
    proxy_data = data_dir if data_dir is not None or trainer.data_name == "digits" \
        else trainer.data_name
    estimator = AccuracyEstimator(search_space, proxy, proxy_data, seed, cache)
    estimator.fit(archs, [r.val_acc for r in results])
    saved = estimator.save(out)
    document = {
        "saved": str(saved), "labels": labels, "metric": "val_acc",
        "training": trainer.describe(),
        "trained": [{"arch": r.arch.string, "val_acc": r.val_acc, "seconds": r.seconds,
                     "cached": r.cached} for r in results],
        "manifest": estimator.manifest,
    }
    emit(document, output_format, lambda: console.print(
        f"saved ensemble over {len(estimator.proxies)} proxies, fitted on the validation "
        f"accuracy of {len(results)} architectures trained {target.epochs} epochs on "
        f"{trainer.data_name}, to {saved}", highlight=False, markup=False))


@proxies_app.command("predict")
def predict_command(
    model: Annotated[str, typer.Argument(help="folder written by `proxies fit`")],
    archs: Annotated[list[str], typer.Argument(help="architecture strings")],
    data_dir: DataDirOption = None,
    cache: CacheOption = None,
    threads: ThreadsOption = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Predicted accuracy rank (mean and std over the boosters) of architectures.

    Example: hwnas proxies predict model/
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|'
    """
    from hwnas.proxies import AccuracyEstimator

    _setup(threads)
    estimator = AccuracyEstimator.load(model, data=data_dir, cache=cache)
    mean, std = estimator.predict(archs)
    rows = [{"arch": estimator.space.parse(a).string, "mean": float(m), "std": float(s)}
            for a, m, s in zip(archs, mean, std, strict=True)]
    document = {"model": model, "target": estimator.target, "predictions": rows}
    emit(document, output_format, lambda: print_table(
        f"predicted {estimator.target}", ["arch", "mean", "std"],
        [(r["arch"], f"{r['mean']:.4f}", f"{r['std']:.4f}") for r in rows]))


def register(app: typer.Typer) -> None:
    app.add_typer(proxies_app, name="proxies")
