"""Train one architecture of a registered space for image classification.

What the loop guarantees:
- CPU runs are deterministic for a seed: Python, NumPy and torch are seeded, torch runs
  with `use_deterministic_algorithms(True)` and a fixed, recorded thread count, and the
  shuffling and augmentation draw from one seeded `torch.Generator`. The global states
  are restored afterwards, so training inside a search changes nothing around it.
- After every epoch the epoch's figures go to `train.sqlite` and then a checkpoint
  (weights, optimiser buffers, generator states) is written atomically; a killed run
  started again with the same arguments continues after the last complete epoch and
  ends with the same weights, bit for bit, as a run never interrupted.
- The test split is evaluated once, after the last epoch.
- `device="cuda"`: mixed precision (float16 autocast with a gradient scaler) and
  channels-last memory; fast, not bit-reproducible.

The network trained is the space's deployable one (`prune=True` when the space prunes:
NAS-Bench-201's `none` edges and ops that feed nothing removed; the same function as
the benchmark network, cheaper to run). `hwnas export --weights` reads that layout.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, ConfigError, to_plain
from hwnas.train._checkpoint import load_checkpoint, save_checkpoint, state_tensors, write_atomic
from hwnas.train._data import TrainingData, augment, check_recipe_fits, load_training_data
from hwnas.train._log import EpochLog, EpochRecord
from hwnas.train._recipe import Recipe

if TYPE_CHECKING:
    import torch

CHECKPOINT = "checkpoint.safetensors"
WEIGHTS = "weights.safetensors"
RESULT = "result.json"
LOG = "train.sqlite"
EVAL_BATCH = 512

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, description)


@dataclass(frozen=True)
class TrainResult:
    """A finished training: accuracies in percent, seconds of wall time (summed over
    resumed sessions, without work lost to a kill), the weights file."""

    arch: Architecture
    epochs: int
    val_acc: float
    test_acc: float
    seconds: float
    weights: str
    out_dir: str
    seed: int
    device: str
    threads: int | None
    input_shape: tuple[int, int, int]
    num_classes: int
    layout: str  # pruned | benchmark: which network the weights fit
    recipe: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    history: tuple[EpochRecord, ...] = ()
    resumed_from_epoch: int = 0
    cached: bool = False
    precision: str = "fp32"  # fp32 | amp (float16 autocast, CUDA)

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON: arch, epochs, val_acc, test_acc, seconds, weights, and context."""
        return {"arch": self.arch.string, "epochs": self.epochs, "val_acc": self.val_acc,
                "test_acc": self.test_acc, "seconds": self.seconds, "weights": self.weights,
                "arch_id": self.arch.arch_id, "space": self.arch.space, "seed": self.seed,
                "device": self.device, "precision": self.precision, "threads": self.threads,
                "input_shape": list(self.input_shape), "num_classes": self.num_classes,
                "layout": self.layout, "data": self.data, "recipe": self.recipe,
                "out": self.out_dir, "resumed_from_epoch": self.resumed_from_epoch,
                "cached": self.cached}

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        arch = data["arch"]
        values = {**data, "arch": Architecture(arch["space"], arch["string"]),
                  "input_shape": tuple(data["input_shape"]),
                  "history": tuple(EpochRecord(**r) for r in data.get("history", []))}
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def resolve_device(device: str | None) -> str:
    """`cpu` or `cuda[:N]`; ConfigError (one line) when CUDA is asked for and absent."""
    import torch

    name = (device or "cpu").strip().lower()
    if name == "cpu":
        return name
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"--device {name}: torch {torch.__version__} sees no CUDA GPU on this machine; "
                "use --device cpu, or run where a GPU and a CUDA build of torch are installed")
        return name
    raise ConfigError(f"--device {device!r}: use cpu or cuda (cuda:N for another GPU)")


def resolve_recipe(recipe: Recipe, data: TrainingData) -> Recipe:
    """The recipe with the data-dependent keys filled (what is recorded and cached on)."""
    return recipe.replace(
        input_size=data.input_size,
        crop_padding=data.input_size // 8 if recipe.crop_padding is None else recipe.crop_padding,
        flip=data.flip_default if recipe.flip is None else recipe.flip,
    )


def learning_rate_at(recipe: Recipe, step: int, total_steps: int) -> float:
    """The learning rate of step `step` (0-based) of `total_steps`."""
    if recipe.schedule == "constant":
        return float(recipe.learning_rate)
    low, high = float(recipe.min_learning_rate), float(recipe.learning_rate)
    return low + 0.5 * (high - low) * (1.0 + math.cos(math.pi * step / max(1, total_steps)))


@contextlib.contextmanager
def _reproducible(seed: int, threads: int | None, deterministic: bool) -> Iterator[int]:
    """Seed everything and fix the thread count; restore all global state afterwards."""
    import numpy as np
    import torch

    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state(),
             torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    try:
        if threads is not None:
            torch.set_num_threads(int(threads))
        torch.use_deterministic_algorithms(deterministic)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        yield torch.get_num_threads()
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
        torch.set_num_threads(saved[3])
        torch.use_deterministic_algorithms(saved[4])


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process trains in a folder at a time; others wait (a kill releases the lock)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_network(arch: Architecture, input_shape: tuple[int, int, int],
                  num_classes: int) -> tuple[torch.nn.Module, str]:
    """The deployable network of `arch` and its layout name (pruned or benchmark)."""
    from hwnas.spaces import create_space

    space = create_space(arch.space)
    if hasattr(space, "live_edges"):
        return space.to_torch(arch, input_shape, num_classes, prune=True), "pruned"
    return space.to_torch(arch, input_shape, num_classes), "benchmark"


def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
             device: str, amp: bool = False) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in percent) of `model` on normalised images."""
    import torch

    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(labels), EVAL_BATCH):
            x = images[start:start + EVAL_BATCH].to(device)
            y = labels[start:start + EVAL_BATCH].to(device)
            if device != "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
                logits = model(x)
            loss_sum += float(torch.nn.functional.cross_entropy(
                logits.float(), y, reduction="sum"))
            correct += int((logits.argmax(1) == y).sum())
    return loss_sum / max(1, len(labels)), 100.0 * correct / max(1, len(labels))


def _identity(arch: Architecture, data: TrainingData, recipe: Recipe, seed: int,
              device: str, amp: bool) -> dict[str, Any]:
    out = {"space": arch.space, "arch": arch.string, "data": data.name,
           "recipe": recipe.to_dict(), "seed": int(seed),
           "device": "cpu" if device == "cpu" else "cuda"}
    if device != "cpu" and not amp:
        out["precision"] = "fp32"
    return out


def _rng_states(generator: torch.Generator, device: str) -> dict[str, torch.Tensor]:
    import torch

    states = {"torch": torch.get_rng_state(), "generator": generator.get_state()}
    if device != "cpu":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _python_states() -> dict[str, Any]:
    import numpy as np

    version, internal, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state(legacy=True)
    return {"python": [version, list(internal), gauss],
            "numpy": [kind, np.asarray(keys).tolist(), position, has_gauss, cached]}


def _restore_python_states(states: dict[str, Any]) -> None:
    import numpy as np

    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))


def _load_finished(folder: Path, identity: dict[str, Any]) -> TrainResult | None:
    path = folder / RESULT
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # a damaged summary: train again (the checkpoint still saves the work)
    if stored.get("identity") != identity:
        raise ConfigError(
            f"{folder} holds a finished training of something else "
            f"({_what(stored.get('identity'))}); pass another --out folder or delete this one")
    if not (folder / WEIGHTS).is_file():
        return None
    return TrainResult.from_dict({**stored["result"], "cached": True})


def _what(identity: Any) -> str:
    if not isinstance(identity, dict):
        return "unknown"
    return (f"{identity.get('arch')} on {identity.get('data')}, "
            f"{(identity.get('recipe') or {}).get('epochs')} epochs, seed {identity.get('seed')}")


def train_architecture(
    arch: Architecture,
    out_dir: str | Path,
    data: str | Path | None = None,
    recipe: Recipe | None = None,
    seed: int = 0,
    device: str | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    training_data: TrainingData | None = None,
    amp: bool | None = None,
) -> TrainResult:
    """Train `arch` into `out_dir` (resuming its checkpoint), or return the finished result.

    `data`: None or 'digits' (scikit-learn's digits) or a folder (CIFAR python batches,
    image folder); `training_data` passes splits already loaded for the same recipe.
    `amp` (CUDA only; default on): float16 autocast with a gradient scaler.
    """
    from hwnas.spaces import create_space

    arch = create_space(arch.space).parse(arch)
    device = resolve_device(device)
    if amp and device == "cpu":
        raise ConfigError("mixed precision is for --device cuda; drop it on the CPU")
    use_amp = device != "cpu" and amp is not False
    recipe = recipe or Recipe()
    loaded = training_data if training_data is not None else load_training_data(data, recipe)
    recipe = resolve_recipe(recipe, loaded)
    check_recipe_fits(recipe, loaded)
    folder = Path(out_dir).expanduser()
    identity = _identity(arch, loaded, recipe, seed, device, use_amp)
    with _locked(folder):
        finished = _load_finished(folder, identity)
        if finished is not None:
            return finished
        with _reproducible(seed, threads if device == "cpu" else None, device == "cpu") as used:
            return _train(arch, folder, loaded, recipe, seed, device, threads, used, identity,
                          progress, use_amp)


def _train(arch: Architecture, folder: Path, data: TrainingData, recipe: Recipe, seed: int,
           device: str, threads: int | None, used_threads: int, identity: dict[str, Any],
           progress: Progress | None, amp: bool) -> TrainResult:
    import torch

    started = time.perf_counter()
    model, layout = build_network(arch, data.input_shape, data.num_classes)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.learning_rate,
                                momentum=recipe.momentum, nesterov=recipe.nesterov,
                                weight_decay=recipe.weight_decay)
    scaler = torch.amp.GradScaler("cuda") if amp else None
    on_gpu = device != "cpu"
    if on_gpu:
        model = model.to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]
    start_epoch, seconds_before = 0, 0.0
    checkpoint_path = folder / CHECKPOINT
    if checkpoint_path.is_file():
        checkpoint = load_checkpoint(checkpoint_path)
        if checkpoint.state.get("identity") != identity:
            raise ConfigError(
                f"{folder} holds a checkpoint of other training "
                f"({_what(checkpoint.state.get('identity'))}); pass another --out folder or "
                "delete this one")
        if threads is None and device == "cpu" and checkpoint.state.get("threads"):
            torch.set_num_threads(int(checkpoint.state["threads"]))  # resume as it started
            used_threads = torch.get_num_threads()
        model.load_state_dict(checkpoint.model, strict=True)
        optimizer.load_state_dict(checkpoint.optimizer)
        torch.set_rng_state(checkpoint.rng["torch"])
        generator.set_state(checkpoint.rng["generator"])
        if on_gpu and "cuda" in checkpoint.rng:
            torch.cuda.set_rng_state(checkpoint.rng["cuda"], device)
        if scaler is not None and checkpoint.state.get("scaler"):
            scaler.load_state_dict(checkpoint.state["scaler"])
        _restore_python_states(checkpoint.state["python_states"])
        start_epoch, seconds_before = checkpoint.epoch, float(checkpoint.state["seconds"])
    write_atomic(folder / "recipe.toml", recipe.to_toml().encode())
    count = len(data.train_labels)
    steps_per_epoch = count // recipe.batch_size + (1 if count % recipe.batch_size >= 2 else 0)
    total_steps = recipe.epochs * steps_per_epoch
    step = start_epoch * steps_per_epoch
    padding, flip = int(recipe.crop_padding or 0), bool(recipe.flip)
    with EpochLog(folder / LOG) as log:
        log.truncate(start_epoch)
        for epoch in range(start_epoch, recipe.epochs):
            epoch_started = time.perf_counter()
            model.train()
            order = torch.randperm(count, generator=generator)
            loss_sum, correct, seen, rate = 0.0, 0, 0, recipe.learning_rate
            for batch in range(steps_per_epoch):
                index = order[batch * recipe.batch_size:(batch + 1) * recipe.batch_size]
                x = data.normalise(augment(data.train_images[index], padding, flip, generator))
                y = data.train_labels[index]
                if on_gpu:
                    x = x.to(device, non_blocking=True).contiguous(
                        memory_format=torch.channels_last)
                    y = y.to(device, non_blocking=True)
                rate = learning_rate_at(recipe, step, total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = rate
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
                    logits = model(x)
                    loss = torch.nn.functional.cross_entropy(logits.float(), y)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                step += 1
                loss_sum += float(loss.detach()) * len(y)
                correct += int((logits.detach().argmax(1) == y).sum())
                seen += len(y)
                if progress is not None:
                    progress(step, total_steps, f"epoch {epoch + 1}/{recipe.epochs} "
                             f"loss {loss_sum / seen:.3f}")
            val_loss, val_acc = evaluate(model, data.val_images, data.val_labels, device, amp)
            record = EpochRecord(epoch + 1, loss_sum / max(1, seen), 100.0 * correct / max(1, seen),
                                 val_loss, val_acc, rate, time.perf_counter() - epoch_started)
            log.write(record)
            state = {"epoch": epoch + 1, "step": step, "identity": identity,
                     "threads": used_threads if device == "cpu" else None,
                     "seconds": seconds_before + time.perf_counter() - started,
                     "scheduler": {"schedule": recipe.schedule, "step": step,
                                   "total_steps": total_steps, "learning_rate": rate},
                     "scaler": scaler.state_dict() if scaler is not None else None,
                     "python_states": _python_states()}
            save_checkpoint(checkpoint_path, model, optimizer, _rng_states(generator, device),
                            state)
            if progress is not None:
                progress(step, total_steps, f"epoch {epoch + 1}/{recipe.epochs} "
                         f"val {val_acc:.1f}%")
        history = tuple(log.records())
    _, test_acc = evaluate(model, data.test_images, data.test_labels, device, amp)
    return _finish(arch, folder, model, layout, data, recipe, seed, device, used_threads,
                   identity, history, test_acc, seconds_before + time.perf_counter() - started,
                   start_epoch, "amp" if amp else "fp32")


def _finish(arch: Architecture, folder: Path, model: torch.nn.Module, layout: str,
            data: TrainingData, recipe: Recipe, seed: int, device: str, threads: int,
            identity: dict[str, Any], history: tuple[EpochRecord, ...], test_acc: float,
            seconds: float, start_epoch: int, precision: str) -> TrainResult:
    from safetensors.torch import save

    weights = folder / WEIGHTS
    metadata = {"space": arch.space, "arch": arch.string, "arch_id": arch.arch_id,
                "layout": layout, "input_shape": json.dumps(list(data.input_shape)),
                "num_classes": str(data.num_classes), "data": data.name}
    write_atomic(weights, save(state_tensors(model), metadata=metadata))
    result = TrainResult(
        arch=arch, epochs=recipe.epochs, val_acc=history[-1].val_acc if history else 0.0,
        test_acc=test_acc, seconds=seconds, weights=str(weights), out_dir=str(folder),
        seed=seed, device=device, threads=threads if device == "cpu" else None,
        input_shape=data.input_shape, num_classes=data.num_classes, layout=layout,
        recipe=recipe.to_dict(), data=data.to_dict(), history=history,
        resumed_from_epoch=start_epoch, precision=precision,
    )
    document = {"identity": identity, "result": result.to_dict()}
    write_atomic(folder / RESULT, json.dumps(document, indent=2).encode())
    return result
