"""Training figures for docs/train.md (scikit-learn digits on this host's CPU; CUDA if lent).

    nice -n 10 .venv/bin/python benchmarks/train.py                    # the full study
    .venv/bin/python benchmarks/train.py --fidelity-cells 4 --fidelity-long 6   # a quick look

1. The most accurate NAS-Bench-201 cell of accuracy.csv (by --rank-column, default
   cifar10_test_acc) trained on digits with NAS-Bench-201's recipe for --best-epochs (30):
   test accuracy and wall time (`digits_best_test_acc`, `digits_best_seconds`, seconds of
   the training loop including data loading, model build and final test evaluation).
2. That trained network exported to ONNX: ONNX Runtime's test accuracy minus torch's
   (`onnx_vs_torch_acc_delta`, percentage points, through the deploy check's code).
3. Kill -9 during epoch 2 of a --resume-epochs training started with `python -m hwnas
   train`, resumed by the same command, against an unbroken run with the same seed:
   the largest absolute weight difference (`resume_max_abs_weight_delta`).
4. Short training as a fidelity: --fidelity-cells random cells (distinct isomorphism
   classes, seeded) trained --fidelity-short and --fidelity-long epochs; Spearman of the
   test accuracies (`fidelity_spearman_3_vs_30`) and of the validation accuracies.
5. With a CUDA GPU: training images per second of the best cell on a CIFAR-sized
   synthetic set (random 3x32x32 images, 10 classes) with mixed precision and in float32
   (`cuda_amp_images_per_s`, `cuda_fp32_images_per_s`); null without a GPU.

Every training goes into its own folder under --work (default /tmp/hwnas-train-bench)
and is kept: a rerun reads finished trainings back and resumes unfinished ones. The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best_cell(column: str) -> str:
    import pandas as pd

    from hwnas.benchmarks._data import find_data_dir

    table = pd.read_csv(find_data_dir() / "nb201" / "accuracy.csv")
    return str(table.loc[table[column].idxmax(), "arch"])


def onnx_delta(result, folder: Path) -> dict:
    from hwnas.export import export_architecture, read_metadata
    from hwnas.export._accuracy import model_accuracy
    from hwnas.export._trained import training_metadata

    exported = export_architecture(result.arch, folder, result.input_shape, result.num_classes,
                                   result.weights, metadata={"training": training_metadata(result)})
    # the deploy check looks for the weights file beside the model
    beside = folder / exported.metadata["weights_file"]
    if not beside.exists():
        beside.write_bytes(Path(result.weights).read_bytes())
    figures, notes = model_accuracy(exported.onnx_path, read_metadata(exported.onnx_path),
                                    "digits")
    return {**figures, "notes": notes, "max_abs_error": exported.max_abs_error}


def kill_and_resume(arch: str, work: Path, epochs: int, threads: int, seed: int) -> dict:
    """SIGKILL a CLI training half-way through epoch 2, resume it, compare with unbroken."""
    import torch
    from safetensors.torch import load_file

    from hwnas.core import Architecture
    from hwnas.train import CHECKPOINT, EpochLog, load_checkpoint, load_recipe, train_architecture

    killed = work / f"resume-killed-{epochs}e-s{seed}"
    command = [sys.executable, "-m", "hwnas", "train", arch, "--out", str(killed), "--epochs",
               str(epochs), "--threads", str(threads), "--seed", str(seed), "--format", "json"]
    killed_in_epoch = None
    if not (killed / "result.json").exists():
        if (killed / CHECKPOINT).exists():
            log(f"resume check: {killed} already holds a checkpoint; remove it for a fresh kill")
        else:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            while not (killed / CHECKPOINT).exists():
                if process.poll() is not None:
                    raise SystemExit("the training ended before its first checkpoint")
                time.sleep(0.01)
            with EpochLog(killed / "train.sqlite") as epoch_log:
                first = epoch_log.records()[0].seconds
            time.sleep(first / 2)  # half-way through epoch 2
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed_in_epoch = load_checkpoint(killed / CHECKPOINT).epoch + 1
            log(f"resume check: killed in epoch {killed_in_epoch} (epoch 1 took {first:.1f} s)")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    resumed = json.loads(done.stdout)
    recipe = load_recipe(epochs=epochs)
    unbroken = train_architecture(Architecture("nb201", arch), work / f"resume-unbroken-"
                                  f"{epochs}e-s{seed}", recipe=recipe, seed=seed, threads=threads)
    first, second = load_file(resumed["weights"]), load_file(unbroken.weights)
    delta = max(float((first[k].double() - second[k].double()).abs().max()) for k in first)
    identical = first.keys() == second.keys() and all(torch.equal(first[k], second[k])
                                                      for k in first)
    return {"max_abs_weight_delta": delta, "bit_identical": identical,
            "killed_in_epoch": killed_in_epoch, "resumed_from_epoch":
            resumed["resumed_from_epoch"], "epochs": epochs}


def fidelity(args: argparse.Namespace, work: Path) -> dict:
    from scipy.stats import spearmanr

    from hwnas.spaces import create_space
    from hwnas.train import TrainCache, TrainTarget, distinct_sample, load_recipe

    space = create_space("nb201")
    cells = distinct_sample(space, args.fidelity_cells, args.seed)
    rows = []
    caches = {epochs: TrainCache(TrainTarget("digits", epochs), load_recipe(), args.seed,
                                 work / "fidelity", threads=args.threads)
              for epochs in (args.fidelity_short, args.fidelity_long)}
    started = time.perf_counter()
    for index, arch in enumerate(cells):
        row = {"arch": arch.string}
        for epochs, cache in caches.items():
            result = cache.train(arch)
            row[f"test_{epochs}"], row[f"val_{epochs}"] = result.test_acc, result.val_acc
            row[f"seconds_{epochs}"] = result.seconds
        rows.append(row)
        log(f"fidelity {index + 1}/{len(cells)}: {row['test_' + str(args.fidelity_short)]:.1f}%"
            f" after {args.fidelity_short}, {row['test_' + str(args.fidelity_long)]:.1f}% after "
            f"{args.fidelity_long} epochs ({time.perf_counter() - started:.0f} s so far)")
    short, long_ = args.fidelity_short, args.fidelity_long
    test = spearmanr([r[f"test_{short}"] for r in rows], [r[f"test_{long_}"] for r in rows])
    val = spearmanr([r[f"val_{short}"] for r in rows], [r[f"val_{long_}"] for r in rows])
    return {"cells": len(rows), "spearman_test": float(test.statistic),
            "spearman_val": float(val.statistic), "rows": rows,
            "test_long_median": statistics.median(r[f"test_{long_}"] for r in rows),
            "test_short_median": statistics.median(r[f"test_{short}"] for r in rows),
            "training_seconds": sum(r[f"seconds_{e}"] for r in rows for e in (short, long_))}


def cuda_speed(arch: str, work: Path, epochs: int, images: int) -> dict:
    import torch

    from hwnas.core import Architecture
    from hwnas.train import Recipe, TrainingData, train_architecture

    if not torch.cuda.is_available():
        return {"amp": None, "fp32": None, "gpu": None}
    generator = torch.Generator().manual_seed(0)
    train = torch.rand((images, 3, 32, 32), generator=generator)
    labels = torch.randint(0, 10, (images,), generator=generator)
    evaluation = torch.randn((512, 3, 32, 32), generator=generator)
    eval_labels = torch.randint(0, 10, (512,), generator=generator)
    data = TrainingData(name="synthetic-cifar", description=f"{images} random 32x32 images",
                        num_classes=10, input_size=32, train_images=train, train_labels=labels,
                        val_images=evaluation, val_labels=eval_labels, test_images=evaluation,
                        test_labels=eval_labels, mean=(0.5,) * 3, std=(0.29,) * 3,
                        flip_default=True, split={"train": images})
    out = {"gpu": torch.cuda.get_device_name(0)}
    for precision, amp in (("amp", True), ("fp32", False)):
        result = train_architecture(Architecture("nb201", arch), work / f"cuda-{precision}",
                                    recipe=Recipe(epochs=epochs), device="cuda", amp=amp,
                                    training_data=data)
        steady = [r.seconds for r in result.history[1:]] or [result.history[0].seconds]
        out[precision] = images / statistics.median(steady)
        out[f"{precision}_epoch_seconds"] = [r.seconds for r in result.history]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/hwnas-train-bench")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rank-column", default="cifar10_test_acc")
    parser.add_argument("--best-epochs", type=int, default=30)
    parser.add_argument("--resume-epochs", type=int, default=3)
    parser.add_argument("--fidelity-cells", type=int, default=30)
    parser.add_argument("--fidelity-short", type=int, default=3)
    parser.add_argument("--fidelity-long", type=int, default=30)
    parser.add_argument("--skip-fidelity", action="store_true")
    parser.add_argument("--cuda-epochs", type=int, default=3)
    parser.add_argument("--cuda-images", type=int, default=10240)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    from hwnas.core import Architecture
    from hwnas.train import load_recipe, train_architecture

    arch = best_cell(args.rank_column)
    load = os.getloadavg()
    log(f"best cell by {args.rank_column}: {arch}; load average {load[0]:.2f}")
    cpu_started = time.process_time()
    best = train_architecture(Architecture("nb201", arch), work / f"best-{args.best_epochs}e-"
                              f"s{args.seed}-t{args.threads}",
                              recipe=load_recipe(epochs=args.best_epochs), seed=args.seed,
                              threads=args.threads)
    cpu_seconds = None if best.cached else time.process_time() - cpu_started
    epoch_seconds = [r.seconds for r in best.history]
    log(f"best cell: test {best.test_acc:.2f}%, val {best.val_acc:.2f}%, {best.seconds:.1f} s, "
        f"median epoch {statistics.median(epoch_seconds):.1f} s "
        f"({'stored result' if best.cached else 'trained now'})")
    delta = onnx_delta(best, work / "export")
    log(f"ONNX Runtime {delta['onnxruntime_test_acc']:.2f}% vs torch "
        f"{delta['torch_test_acc']:.2f}% on {delta['test_images']} test images")
    resume = kill_and_resume(arch, work, args.resume_epochs, args.threads, args.seed)
    log(f"resume: max abs weight delta {resume['max_abs_weight_delta']}, "
        f"bit-identical {resume['bit_identical']}")
    study = None if args.skip_fidelity else fidelity(args, work)
    cuda = cuda_speed(arch, work, args.cuda_epochs, args.cuda_images)
    summary = {
        "best_arch": arch, "rank_column": args.rank_column, "threads": args.threads,
        "digits_input": list(best.input_shape), "digits_split": best.data["split"],
        "digits_best_epochs": best.epochs,
        "digits_best_test_acc": round(best.test_acc, 3),
        "digits_best_val_acc": round(best.val_acc, 3),
        "digits_best_seconds": round(best.seconds, 1),
        "digits_best_median_epoch_seconds": round(statistics.median(epoch_seconds), 2),
        # CPU time of this process during that training (None when read back from --work):
        # what the wall time would be on a core of its own
        "digits_best_cpu_seconds": None if cpu_seconds is None else round(cpu_seconds, 1),
        "digits_best_was_stored": best.cached,
        "onnx_test_acc": round(delta["onnxruntime_test_acc"], 3),
        "torch_test_acc": round(delta["torch_test_acc"], 3),
        "onnx_vs_torch_acc_delta": round(abs(delta["delta_points"]), 4),
        "resume_max_abs_weight_delta": resume["max_abs_weight_delta"],
        "resume_bit_identical": resume["bit_identical"],
        "resume_killed_in_epoch": resume["killed_in_epoch"],
        "resume_epochs": resume["epochs"],
        "fidelity_cells": None if study is None else study["cells"],
        "fidelity_spearman_3_vs_30": None if study is None else round(study["spearman_test"], 4),
        "fidelity_spearman_3_vs_30_val": None if study is None else round(study["spearman_val"],
                                                                          4),
        "fidelity_epochs": [args.fidelity_short, args.fidelity_long],
        "fidelity_median_test_acc": None if study is None else
        [round(study["test_short_median"], 2), round(study["test_long_median"], 2)],
        "fidelity_training_seconds": None if study is None else round(study["training_seconds"]),
        "cuda_gpu": cuda["gpu"],
        "cuda_amp_images_per_s": None if cuda["amp"] is None else round(cuda["amp"]),
        "cuda_fp32_images_per_s": None if cuda["fp32"] is None else round(cuda["fp32"]),
        "load_average_start": round(load[0], 2),
        "load_average_end": round(os.getloadavg()[0], 2),
    }
    if study is not None:
        (work / "fidelity.json").write_text(json.dumps(study["rows"], indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
