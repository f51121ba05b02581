"""Latency/energy predictors on the Raspberry Pi 5 NAS-Bench-201 table (task cifar100).

    nice -n 10 .venv/bin/python benchmarks/predictors.py            # ~3-6 minutes
    .venv/bin/python benchmarks/predictors.py --seeds 1             # a quick look

Trains on N randomly drawn architectures that were actually measured (one per
`measured_as` group, so a copy never sits on both sides of the split) and tests on every
other measured architecture with a valid value. Reports the share of predictions within
±10% / ±5%, Spearman and RMSE, as the mean over `--seeds` draws (and the worst draw), for
the default `gbdt` predictor and, for ONNX Runtime latency, the plain one-hot LightGBM
baseline, roofline-fit and mlp. Energy: gbdt on energy and latency-power (a latency model
times a power model; the `energy_<fw>_n*` keys), the 5-fold CV inside the training sets
that chose between them, a reference (the measured latency times the training median
power: a perfect latency model with constant power) and ceilings (true latency times
power predicted, cross-validated, from the same architecture's power measured on the
other two tasks: an oracle no predictor has; `energy_<fw>_oracle_within_10pct`). Few-shot:
each framework held out in turn; one gbdt per column of the other frameworks (same
quantity, all three tasks) is pretrained, then calibrated on K=20 target architectures;
the same calibration without pretrained sources is reported beside it. Throughput: batch
prediction from gene arrays and from strings. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

FRAMEWORKS = ("onnx", "litert", "torchmobile")
TASKS = ("cifar100", "ninapro", "darcy")


def run(table, metric, name, n_train, seeds, **options):
    from hwnas.predictors import evaluate_predictions, measured_dataset

    dataset = measured_dataset(table, metric)
    results = []
    for seed in range(seeds):
        train, test = dataset.split(n_train, seed)
        model = trained(table, metric, name, train, seed, **options)
        results.append(
            evaluate_predictions(test.values, model.predict(list(test.archs)), model.unit)
        )
    return {
        "within_10pct": float(np.mean([r["within_10pct"] for r in results])),
        "within_5pct": float(np.mean([r["within_5pct"] for r in results])),
        "worst_within_10pct": float(min(r["within_10pct"] for r in results)),
        "spearman": float(np.mean([r["spearman"] for r in results])),
        "rmse": float(np.mean([r["rmse"] for r in results])),
        "n_test": results[0]["n_test"],
    }


def trained(table, metric, name, train, seed, **options):
    """`name` fitted on `train`; latency-power also gets the latency of the same runs
    (of the training architectures only)."""
    from hwnas.predictors import create_predictor, table_context

    model = create_predictor(name, **table_context(table, metric), seed=seed, **options)
    if name == "latency-power":
        latency = metric.replace("energy_mj", "latency_ms")
        values = table.frame.loc[list(train.archs), latency].to_numpy(dtype=float)
        model.pretrain(list(train.archs), {latency: values})
    return model.fit(list(train.archs), train.values)


def energy_choice(table, framework, names, n_train, seeds, folds=5):
    """{name: within-10% share} by `folds`-fold cross-validation inside each training
    set of `n_train` (the test architectures are never looked at): how the energy
    predictor was chosen."""
    from sklearn.model_selection import KFold

    from hwnas.predictors import measured_dataset

    dataset = measured_dataset(table, f"{framework}/cifar100/energy_mj")
    shares: dict[str, list[float]] = {name: [] for name in names}
    for seed in range(seeds):
        train, _ = dataset.split(n_train, seed)
        for fit_rows, held_rows in KFold(folds, shuffle=True, random_state=seed).split(train.archs):
            part, held = train.subset(fit_rows), train.subset(held_rows)
            for name in names:
                model = trained(table, dataset.metric, name, part, seed)
                error = model.predict(list(held.archs)) / held.values - 1
                shares[name].append(float(np.mean(np.abs(error) <= 0.10)))
    return {name: float(np.mean(v)) for name, v in shares.items()}


def energy_ceiling(table, framework, n_train, seeds):
    """Within-10% share if latency were predicted perfectly and power were the training
    median: how much the spread of average power alone costs."""
    from hwnas.predictors import measured_dataset

    energy = measured_dataset(table, f"{framework}/cifar100/energy_mj")
    latency = table.frame.loc[list(energy.archs), f"{framework}/cifar100/latency_ms"].to_numpy()
    shares = []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(len(energy))
        train, test = order[:n_train], order[n_train:]
        power = np.median(energy.values[train] / latency[train])
        relative = np.abs(power * latency[test] / energy.values[test] - 1)
        shares.append(np.mean(relative <= 0.10))
    return float(np.mean(shares))


def energy_ceilings(table, framework, folds=5):
    """What average power the architecture can explain, by `folds`-fold cross-validation
    over every measured architecture valid in all three tasks. Energy is taken as the
    TRUE cifar100 latency times cifar100 power predicted (a ridge on log power) from:
    the same architecture's measured ninapro and darcy power (an oracle: no predictor
    has those), those plus the features, or (ridge + LightGBM) the features alone. Then
    whether the part of log power that the features miss is shared with the other tasks'
    measurements of the same architecture, or with architectures one edge away."""
    import lightgbm
    from scipy.stats import spearmanr
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict

    from hwnas.predictors import create_predictor, feature_encoder, measured_architectures

    archs = measured_architectures(table)
    frame = table.frame.loc[archs]
    power = {}
    for task in TASKS:
        energy = frame[f"{framework}/{task}/energy_mj"].to_numpy(dtype=float)
        power[task] = np.log(energy / frame[f"{framework}/{task}/latency_ms"].to_numpy(float))
    valid = np.all([np.isfinite(v) for v in power.values()], axis=0)
    power = {task: v[valid] for task, v in power.items()}
    genes = create_predictor("gbdt", space=table.space).genes_of(
        [a for a, ok in zip(archs, valid, strict=True) if ok]
    )
    x = feature_encoder(table.space, input_shape=(3, 32, 32), num_classes=100).encode(genes)
    split = KFold(folds, shuffle=True, random_state=0)
    ridge = RidgeCV(alphas=np.logspace(-4, 3, 15))
    others = np.c_[power["ninapro"], power["darcy"]]

    def from_features(target):
        out = np.empty(len(target))
        for fit_rows, held in split.split(x):
            base = RidgeCV(alphas=np.logspace(-4, 2, 13)).fit(x[fit_rows], target[fit_rows])
            trees = lightgbm.LGBMRegressor(
                n_estimators=300,
                learning_rate=0.03,
                num_leaves=15,
                min_child_samples=20,
                n_jobs=1,
                verbose=-1,
                random_state=0,
            ).fit(x[fit_rows], target[fit_rows] - base.predict(x[fit_rows]))
            out[held] = base.predict(x[held]) + trees.predict(x[held])
        return out

    target = power["cifar100"]
    predictions = {
        "oracle": cross_val_predict(ridge, others, target, cv=split),
        "oracle_features": cross_val_predict(ridge, np.c_[others, x], target, cv=split),
        "features_power": from_features(target),
    }
    out = {}
    for key, predicted in predictions.items():
        relative = np.abs(np.exp(predicted - target) - 1)
        out[f"energy_{framework}_{key}_within_10pct"] = float(np.mean(relative <= 0.10))
        out[f"energy_{framework}_{key}_within_5pct"] = float(np.mean(relative <= 0.05))
    residual = {"cifar100": target - predictions["features_power"]}
    for task in ("ninapro", "darcy"):
        residual[task] = power[task] - from_features(power[task])
    task_corr = np.mean([spearmanr(residual["cifar100"], residual[t])[0] for t in TASKS[1:]])
    row_of = {tuple(g): i for i, g in enumerate(genes.tolist())}
    pairs = [
        (i, row_of[n])
        for i, g in enumerate(genes.tolist())
        for p in range(genes.shape[1])
        for v in range(g[p] + 1, 5)
        if (n := (*g[:p], v, *g[p + 1 :])) in row_of
    ]
    left, right = np.array(pairs).T
    neighbour_corr = spearmanr(residual["cifar100"][left], residual["cifar100"][right])[0]
    out[f"energy_{framework}_power_residual_task_corr"] = float(task_corr)
    out[f"energy_{framework}_power_residual_neighbour_corr"] = float(neighbour_corr)
    print(
        f"{framework} energy ceilings ({int(valid.sum())} archs, {folds}-fold CV, true latency x "
        f"predicted power; within10 / within5): from ninapro+darcy power "
        f"{out[f'energy_{framework}_oracle_within_10pct']:.4f} / "
        f"{out[f'energy_{framework}_oracle_within_5pct']:.4f}; with features "
        f"{out[f'energy_{framework}_oracle_features_within_10pct']:.4f} / "
        f"{out[f'energy_{framework}_oracle_features_within_5pct']:.4f}; features only "
        f"{out[f'energy_{framework}_features_power_within_10pct']:.4f} / "
        f"{out[f'energy_{framework}_features_power_within_5pct']:.4f}\n"
        f"  power the features miss: Spearman with the same arch's other tasks {task_corr:.2f}, "
        f"with archs one edge away {neighbour_corr:.3f} ({len(pairs)} pairs)",
        flush=True,
    )
    return out


def diagnostics(table):
    """Why misses happen: the measurement CV of ONNX Runtime misses, and how predictable
    average power (energy / latency) is from the features."""
    from sklearn.model_selection import cross_val_predict

    from hwnas.predictors import (
        create_predictor,
        feature_encoder,
        measured_dataset,
        table_context,
    )

    metric = "onnx/cifar100/latency_ms"
    train, test = measured_dataset(table, metric).split(1000, 0)
    model = create_predictor("gbdt", **table_context(table, metric)).fit(
        list(train.archs), train.values
    )
    miss = np.abs(model.predict(list(test.archs)) / test.values - 1) > 0.10
    variance = table.frame.loc[list(test.archs), "onnx/cifar100/latency_var_ms2"].to_numpy()
    cv = np.sqrt(variance) / test.values
    print(
        f"ONNX Runtime n=1000 seed 0: {int(miss.sum())} misses beyond 10%, their measurement "
        f"CV {np.round(cv[miss], 3).tolist()}; median CV of all test rows {np.median(cv):.4f}"
    )
    import lightgbm

    encoder = feature_encoder("nb201", input_shape=(3, 32, 32), num_classes=100)
    for framework in FRAMEWORKS:
        energy = measured_dataset(table, f"{framework}/cifar100/energy_mj")
        archs = list(energy.archs)
        latency = table.frame.loc[archs, f"{framework}/cifar100/latency_ms"].to_numpy()
        power = energy.values / latency
        x = encoder.encode(model.genes_of(archs))
        predicted = cross_val_predict(lightgbm.LGBMRegressor(verbose=-1), x, power, cv=3)
        residual = power / predicted - 1
        r2 = 1 - np.var(power - predicted) / np.var(power)
        order = np.argsort(table.info.loc[archs, "arch_index"].to_numpy())
        lag1 = np.corrcoef(residual[order][:-1], residual[order][1:])[0, 1]
        print(
            f"{framework} average power: cross-validated R^2 from features {r2:.3f}, "
            f"|residual| p90 {np.percentile(np.abs(residual), 90):.3f} "
            f"p99 {np.percentile(np.abs(residual), 99):.3f}, lag-1 autocorrelation in "
            f"measurement order {lag1:.3f}"
        )


def fewshot(table, target_framework, quantity, ks, seeds, use_sources=True):
    """{k: (mean Spearman, mean within-10% share)} over `seeds` draws of k target shots."""
    from hwnas.predictors import (
        create_predictor,
        evaluate_predictions,
        measured_architectures,
        measured_dataset,
        table_context,
    )

    metric = f"{target_framework}/cifar100/{quantity}"
    archs = measured_architectures(table)
    sources = (
        [f"{fw}/{task}/{quantity}" for fw in FRAMEWORKS if fw != target_framework for task in TASKS]
        if use_sources
        else []
    )
    model = create_predictor("fewshot", **table_context(table, metric))
    if sources:
        model.pretrain(archs, {s: table.frame.loc[archs, s].to_numpy(dtype=float) for s in sources})
    target = measured_dataset(table, metric)
    out = {}
    for k in ks:
        values = []
        for seed in range(seeds):
            shots, test = target.split(k, seed)
            model.fit(list(shots.archs), shots.values)
            result = evaluate_predictions(test.values, model.predict(list(test.archs)))
            values.append((result["spearman"], result["within_10pct"]))
        out[k] = (float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values])))
    return out


def throughput(table, n):
    from hwnas.predictors import create_predictor, measured_dataset, table_context

    metric = "onnx/cifar100/latency_ms"
    train, _ = measured_dataset(table, metric).split(1000, 0)
    model = create_predictor("gbdt", **table_context(table, metric)).fit(
        list(train.archs), train.values
    )
    genes = np.random.default_rng(0).integers(0, 5, size=(n, 6))
    model.predict(genes[:1000])
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        model.predict(genes)
        best = max(best, n / (time.perf_counter() - started))
    strings = [model.space.from_genes(g).string for g in genes[:100_000]]
    started = time.perf_counter()
    model.predict(strings)
    return best, len(strings) / (time.perf_counter() - started)


def lut_check(sample: int) -> dict[str, float]:
    """Host NB201 latency table (ONNX Runtime, 1 thread): block sum vs end-to-end on
    `sample` networks; a correction fitted on the first half, scored on the second."""
    from hwnas.lut import build_table, validate_table
    from hwnas.profilers import ProfileSettings
    from hwnas.spaces import create_space

    settings = ProfileSettings(threads=1)
    table = build_table("nb201", "host-cpu", settings=settings, num_classes=100)
    archs = create_space("nb201").sample(sample, seed=0)
    check = validate_table(table, archs, settings=settings)
    half = sample // 2
    corrected = table.with_correction(check.sum_ms[:half], check.measured_ms[:half])
    held_out = corrected.correction.apply(check.sum_ms[half:]) / check.measured_ms[half:] - 1
    raw = check.summary()
    print(
        f"lut-sum vs end to end on host-cpu ({sample} networks): mean |error| "
        f"{raw['mean_abs_error_pct']:.1f}%, max {raw['max_abs_error_pct']:.1f}%, within 10% "
        f"{raw['within_10pct']:.2f}, Spearman {raw['spearman']:.3f}; with a correction "
        f"fitted on {half}, held-out mean |error| {100 * np.abs(held_out).mean():.1f}%, "
        f"within 10% {np.mean(np.abs(held_out) <= 0.1):.2f}"
    )
    return {
        "lut_nb201_host_mean_abs_error_pct": raw["mean_abs_error_pct"],
        "lut_nb201_host_within_10pct": raw["within_10pct"],
        "lut_nb201_host_corrected_heldout_mean_abs_error_pct": float(100 * np.abs(held_out).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random training draws per figure")
    parser.add_argument("--fewshot-seeds", type=int, default=5)
    parser.add_argument("--throughput-n", type=int, default=1_000_000)
    parser.add_argument(
        "--lut-sample",
        type=int,
        default=0,
        help="also build a host NB201 latency table and check it on N networks",
    )
    args = parser.parse_args()

    from hwnas.benchmarks import open_table

    started = time.perf_counter()
    table = open_table("pi5")
    figures: dict[str, float] = {}
    print(
        f"{'figure':54s} {'within10':>9s} {'within5':>9s} {'worst10':>9s} {'spearman':>9s} "
        f"{'rmse':>8s} {'n_test':>7s}"
    )

    def show(label, result):
        print(
            f"{label:54s} {result['within_10pct']:9.4f} {result['within_5pct']:9.4f} "
            f"{result['worst_within_10pct']:9.4f} {result['spearman']:9.4f} "
            f"{result['rmse']:8.4f} {result['n_test']:7d}",
            flush=True,
        )

    for framework in FRAMEWORKS:
        for quantity in ("latency_ms", "energy_mj"):
            metric = f"{framework}/cifar100/{quantity}"
            # Energy: latency-power is the predictor (chosen by CV inside the training
            # sets, printed below); gbdt fitted on energy directly is shown beside it.
            names = ("gbdt", "latency-power") if quantity == "energy_mj" else ("gbdt",)
            for name in names:
                for n_train in (100, 1000):
                    result = run(table, metric, name, n_train, args.seeds)
                    show(f"{name} {metric} n={n_train}", result)
                    prefix = f"{framework}_n{n_train}"
                    if quantity == "energy_mj":
                        prefix = f"energy_{framework}_" + ("gbdt_" if name == "gbdt" else "")
                        prefix += f"n{n_train}"
                    figures[f"{prefix}_within_10pct"] = result["within_10pct"]
                    figures[f"{prefix}_within_5pct"] = result["within_5pct"]
                    figures[f"{prefix}_spearman"] = result["spearman"]
            if quantity == "energy_mj":
                ceiling = energy_ceiling(table, framework, 1000, args.seeds)
                figures[f"energy_{framework}_latency_times_power_within_10pct"] = ceiling
                print(f"  reference, measured latency x median power: within10 {ceiling:.4f}")
                choice = energy_choice(table, framework, names, 1000, args.seeds)
                print(
                    "  choice, 5-fold CV inside the 1,000 training archs: "
                    + ", ".join(f"{name} {share:.4f}" for name, share in choice.items()),
                    flush=True,
                )
                for name, share in choice.items():
                    key = name.replace("-", "_")
                    figures[f"energy_{framework}_cv_{key}_within_10pct"] = share

    metric = "onnx/cifar100/latency_ms"
    baseline = {
        "features": "onehot",
        "base": "none",
        "n_estimators": 500,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 5,
    }
    for n_train in (100, 1000):
        result = run(table, metric, "gbdt", n_train, args.seeds, **baseline)
        show(f"baseline one-hot LightGBM n={n_train}", result)
        figures[f"baseline_onnx_n{n_train}_within_10pct"] = result["within_10pct"]
        figures[f"baseline_onnx_n{n_train}_within_5pct"] = result["within_5pct"]
    for name in ("roofline-fit", "mlp"):
        result = run(table, metric, name, 1000, 1)
        show(f"{name} {metric} n=1000 (1 seed)", result)
        figures[f"{name.replace('-', '_')}_onnx_n1000_within_10pct"] = result["within_10pct"]

    diagnostics(table)
    for framework in FRAMEWORKS:
        figures.update(energy_ceilings(table, framework))
    print("few-shot, target framework held out from pretraining (K target measurements):")
    worst = 1.0
    for framework in FRAMEWORKS:
        for quantity in ("latency_ms", "energy_mj"):
            ks = (5, 20) if quantity == "latency_ms" else (20,)
            transfer = fewshot(table, framework, quantity, ks, args.fewshot_seeds)
            alone = fewshot(table, framework, quantity, ks, args.fewshot_seeds, use_sources=False)
            for k in ks:
                print(
                    f"  {framework:12s} {quantity:10s} K={k:<3d} spearman {transfer[k][0]:.4f} "
                    f"within10 {transfer[k][1]:.4f}   (no pretraining: {alone[k][0]:.4f} / "
                    f"{alone[k][1]:.4f})",
                    flush=True,
                )
                key = f"fewshot_k{k}" if quantity == "latency_ms" else f"fewshot_energy_k{k}"
                figures[f"{key}_{framework}_spearman"] = transfer[k][0]
                figures[f"{key}_{framework}_no_pretraining_spearman"] = alone[k][0]
            if quantity == "latency_ms":
                worst = min(worst, transfer[20][0])
    figures["fewshot_k20_spearman"] = worst  # the worst held-out framework

    genes_per_s, strings_per_s = throughput(table, args.throughput_n)
    print(
        f"throughput: {genes_per_s:,.0f} archs/s from gene arrays (batch of "
        f"{args.throughput_n:,}), {strings_per_s:,.0f} archs/s from strings"
    )
    figures["predict_archs_per_s"] = genes_per_s
    figures["predict_strings_per_s"] = strings_per_s
    if args.lut_sample:
        figures.update(lut_check(args.lut_sample))
    figures["seconds"] = time.perf_counter() - started
    print(json.dumps({k: round(v, 5) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
