"""Registers the built-in predictors and the built-in spaces' graph feature encoders
(imported by the package's `__init__`)."""

from __future__ import annotations

from hwnas.predictors._base import PREDICTORS
from hwnas.predictors._features import FEATURE_ENCODERS
from hwnas.predictors._features_fbnet import fbnet_encoder
from hwnas.predictors._features_nb201 import nb201_encoder
from hwnas.predictors._fewshot import FewShotPredictor
from hwnas.predictors._latency_power import LatencyPowerPredictor
from hwnas.predictors._lut_sum import LutSumPredictor
from hwnas.predictors._models import GbdtPredictor, MlpPredictor, RooflineFitPredictor

for _cls in (
    LutSumPredictor,
    RooflineFitPredictor,
    GbdtPredictor,
    MlpPredictor,
    FewShotPredictor,
    LatencyPowerPredictor,
):
    PREDICTORS.register(_cls.name)(_cls)

FEATURE_ENCODERS.register("nb201")(nb201_encoder)
FEATURE_ENCODERS.register("fbnet")(fbnet_encoder)
