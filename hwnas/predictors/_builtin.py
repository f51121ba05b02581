"""Registers the built-in predictors."""

from __future__ import annotations

from hwnas.predictors._base import PREDICTORS
from hwnas.predictors._fewshot import FewShotPredictor
#LUT
from hwnas.predictors._models import GbdtPredictor, MlpPredictor, RooflineFitPredictor

for _cls in (RooflineFitPredictor, GbdtPredictor, MlpPredictor, FewShotPredictor):
    PREDICTORS.register(_cls.name)(_cls)
