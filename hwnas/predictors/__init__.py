"""Latency and energy predictors: fit on measured architectures, predict thousands at once.

from hwnas.predictors import create_predictor, load_predictor
model = create_predictor("gbdt", space="nb201", metric="latency_ms").fit(archs, values)
model.predict(archs)          # -> np.ndarray, one value per architecture
model.save("model-dir"); load_predictor("model-dir")
"""

from __future__ import annotations

from hwnas.predictors import _builtin  # noqa: F401  (registers the built-in predictors)
from hwnas.predictors._base import (
    PREDICTORS,
    ModelState,
    Predictor,
    create_predictor,
    list_predictors,
    load_predictor,
    metric_unit,
    read_manifest,
)
from hwnas.predictors._data import (
    MeasuredSet,
    measured_architectures,
    measured_dataset,
    table_context,
)
from hwnas.predictors._errors import ModelFormatError, PredictorError
from hwnas.predictors._features import (
    FEATURE_ENCODERS,
    FeatureEncoder,
    OneHotEncoder,
    Roofline,
    feature_encoder,
)
from hwnas.predictors._metrics import evaluate_predictions

__all__ = [
    "FEATURE_ENCODERS",
    "PREDICTORS",
    "FeatureEncoder",
    "MeasuredSet",
    "ModelFormatError",
    "ModelState",
    "OneHotEncoder",
    "Predictor",
    "PredictorError",
    "Roofline",
    "create_predictor",
    "evaluate_predictions",
    "feature_encoder",
    "list_predictors",
    "load_predictor",
    "measured_architectures",
    "measured_dataset",
    "metric_unit",
    "read_manifest",
    "table_context",
]
