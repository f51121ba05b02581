"""The learned predictors: roofline-fit, gbdt (LightGBM) and mlp (torch)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from hwnas.predictors._base import ModelState, Predictor
from hwnas.predictors._errors import ModelFormatError, PredictorError
from hwnas.predictors._features import FeatureEncoder, feature_encoder

RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-4, 2, 13))


class _EncodedPredictor(Predictor):
    """A predictor over a feature encoder chosen by `features` (graph or onehot)."""

    def __init__(self, features: str = "graph", **context: Any) -> None:
        super().__init__(**context)
        self.features = features
        self.encoder: FeatureEncoder = feature_encoder(
            self.space.name, features, self.input_shape, self.num_classes, self.device
        )

    @property
    def feature_columns(self) -> tuple[str, ...]:
        return self.encoder.columns


class _RidgeBase:
    """An additive (linear) model of the features; trees or an MLP learn its residual ratio.

    Latency of a cell network is close to a sum of per-op costs, which trees model
    badly from 1,000 samples; the ratio to the linear sum is smooth and near 1.
    """

    def __init__(self) -> None:
        self.coef = np.zeros(0)
        self.intercept = 0.0
        self.floor = 0.0

    def fit(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import RidgeCV

        model = RidgeCV(alphas=RIDGE_ALPHAS).fit(x, y)
        self.coef = np.asarray(model.coef_, dtype=float)
        self.intercept = float(model.intercept_)
        self.floor = float(0.2 * y.min())
        return self.predict(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.coef + self.intercept, self.floor)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"intercept": self.intercept, "floor": self.floor}, {"ridge_coef": self.coef}

    def restore(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.coef = np.asarray(arrays["ridge_coef"], dtype=float)
        self.intercept = float(config["intercept"])
        self.floor = float(config["floor"])


class RooflineFitPredictor(_EncodedPredictor):
    """Sum of per-op-type roofline times, each scaled by a fitted non-negative factor."""

    name: ClassVar[str] = "roofline-fit"

    def __init__(self, **context: Any) -> None:
        super().__init__(features="graph", **context)
        if not self.encoder.roofline_columns:
            raise PredictorError(
                f"roofline-fit has no roofline terms for space {self.space.name}; "
                "use gbdt or mlp for this space"
            )
        self.factors = np.zeros(0)
        self.intercept_ms = 0.0

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        from scipy.optimize import nnls

        terms = self.encoder.roofline_terms(genes)
        scale = np.maximum(terms.max(axis=0), 1e-12)
        solution, _ = nnls(np.c_[terms / scale, np.ones(len(values))], values)
        self.factors = solution[:-1] / scale
        self.intercept_ms = float(solution[-1])

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        return self.encoder.roofline_terms(genes) @ self.factors + self.intercept_ms

    def _state(self) -> ModelState:
        return ModelState(
            config={
                "factors": dict(
                    zip(self.encoder.roofline_columns, self.factors.tolist(), strict=True)
                ),
                "intercept": self.intercept_ms,
            }
        )

    def _restore(self, state: ModelState) -> None:
        factors = state.config["factors"]
        self.factors = np.array([float(factors[c]) for c in self.encoder.roofline_columns])
        self.intercept_ms = float(state.config["intercept"])

    @property
    def feature_columns(self) -> tuple[str, ...]:
        return self.encoder.roofline_columns


def train_booster(params: dict[str, Any], seed: int, x: np.ndarray, target: np.ndarray) -> Any:
    """A deterministic, single-threaded LightGBM regressor's booster fitted on (x, target)."""
    import lightgbm

    model = lightgbm.LGBMRegressor(
        **params, random_state=seed, deterministic=True, force_row_wise=True, n_jobs=1,
        verbose=-1,
    )
    model.fit(x, target)
    return model.booster_


def load_booster(text: str) -> Any:
    """A LightGBM booster from its saved text; a clear error when it cannot be read."""
    import lightgbm

    try:
        return lightgbm.Booster(model_str=text)
    except lightgbm.basic.LightGBMError as error:
        raise ModelFormatError(
            f"LightGBM cannot read the saved model ({error}); retrain it"
        ) from None


class GbdtPredictor(_EncodedPredictor):
    """LightGBM on graph-aware features, on top of a ridge (additive) base by default."""

    name: ClassVar[str] = "gbdt"
    libraries: ClassVar[tuple[str, ...]] = ("lightgbm", "scikit-learn")
    MODEL_FILE: ClassVar[str] = "lightgbm.txt"

    def __init__(
        self,
        features: str = "graph",
        base: str = "ridge",
        n_estimators: int = 60,
        learning_rate: float = 0.15,
        num_leaves: int = 7,
        min_child_samples: int = 5,
        **context: Any,
    ) -> None:
        super().__init__(features=features, **context)
        if base not in ("ridge", "none"):
            raise PredictorError(f"gbdt base must be ridge or none, got {base!r}")
        self.base = base
        self.params = {
            "n_estimators": int(n_estimators),
            "learning_rate": float(learning_rate),
            "num_leaves": int(num_leaves),
            "min_child_samples": int(min_child_samples),
        }
        self.ridge = _RidgeBase()
        self.booster: Any = None

    def options(self) -> dict[str, Any]:
        return {"features": self.features, "base": self.base, **self.params}

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        x = self.encoder.encode(genes)
        target = values
        if self.base == "ridge":
            target = values / self.ridge.fit(x, values)
        self.booster = train_booster(self.params, self.seed, x, target)

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        x = self.encoder.encode(genes)
        out = self.booster.predict(x, num_threads=1)
        if self.base == "ridge":
            out = out * self.ridge.predict(x)
        return out

    def _state(self) -> ModelState:
        config, arrays = self.ridge.state() if self.base == "ridge" else ({}, {})
        return ModelState(
            config=config, arrays=arrays, texts={self.MODEL_FILE: self.booster.model_to_string()}
        )

    def _restore(self, state: ModelState) -> None:
        if self.base == "ridge":
            self.ridge.restore(state.config, state.arrays)
        self.booster = load_booster(state.texts[self.MODEL_FILE])


class MlpPredictor(_EncodedPredictor):
    """A small torch MLP on standardised features, on top of a ridge base by default.

    Trained with torch; predictions run in numpy from the saved safetensors weights.
    """

    name: ClassVar[str] = "mlp"
    libraries: ClassVar[tuple[str, ...]] = ("scikit-learn", "safetensors")

    def __init__(
        self,
        features: str = "graph",
        base: str = "ridge",
        hidden: int = 128,
        epochs: int = 300,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        **context: Any,
    ) -> None:
        super().__init__(features=features, **context)
        if base not in ("ridge", "none"):
            raise PredictorError(f"mlp base must be ridge or none, got {base!r}")
        self.base = base
        self.hidden = int(hidden)
        self.epochs = int(epochs)
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.ridge = _RidgeBase()
        self.weights: dict[str, np.ndarray] = {}

    def options(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "base": self.base,
            "hidden": self.hidden,
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
        }

    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        import torch

        x = self.encoder.encode(genes)
        target = values / self.ridge.fit(x, values) if self.base == "ridge" else values
        mean, std = x.mean(axis=0), x.std(axis=0)
        std[std < 1e-12] = 1.0
        y_mean, y_std = float(target.mean()), float(target.std() or 1.0)
        torch.manual_seed(self.seed)
        net = torch.nn.Sequential(
            torch.nn.Linear(x.shape[1], self.hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(self.hidden, self.hidden // 2),
            torch.nn.ReLU(),
            torch.nn.Linear(self.hidden // 2, 1),
        )
        optimizer = torch.optim.AdamW(
            net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs)
        inputs = torch.tensor((x - mean) / std, dtype=torch.float32)
        labels = torch.tensor((target - y_mean) / y_std, dtype=torch.float32).unsqueeze(1)
        for _ in range(self.epochs):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(net(inputs), labels)
            loss.backward()
            optimizer.step()
            schedule.step()
        layers = [m for m in net if isinstance(m, torch.nn.Linear)]
        self.weights = {"x_mean": mean, "x_std": std, "y": np.array([y_mean, y_std])}
        for index, layer in enumerate(layers):
            self.weights[f"w{index}"] = layer.weight.detach().numpy().astype(np.float64).T.copy()
            self.weights[f"b{index}"] = layer.bias.detach().numpy().astype(np.float64).copy()

    def _predict(self, genes: np.ndarray) -> np.ndarray:
        x = self.encoder.encode(genes)
        w = self.weights
        h = (x - w["x_mean"]) / w["x_std"]
        h = np.maximum(h @ w["w0"] + w["b0"], 0.0)
        h = np.maximum(h @ w["w1"] + w["b1"], 0.0)
        out = (h @ w["w2"] + w["b2"])[:, 0] * w["y"][1] + w["y"][0]
        if self.base == "ridge":
            out = out * self.ridge.predict(x)
        return out

    def _state(self) -> ModelState:
        config, arrays = self.ridge.state() if self.base == "ridge" else ({}, {})
        return ModelState(config=config, arrays={**arrays, **self.weights})

    def _restore(self, state: ModelState) -> None:
        if self.base == "ridge":
            self.ridge.restore(state.config, state.arrays)
        self.weights = {
            k: np.asarray(v, dtype=np.float64) for k, v in state.arrays.items() if k != "ridge_coef"
        }
        for key in ("x_mean", "x_std", "y", "w0", "b0", "w1", "b1", "w2", "b2"):
            if key not in self.weights:
                raise KeyError(key)
