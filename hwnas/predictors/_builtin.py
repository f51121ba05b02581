"""Registers the built-in predictors."""

from __future__ import annotations

from hwnas.predictors._base import PREDICTORS
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
