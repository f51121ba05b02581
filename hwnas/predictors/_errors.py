"""Errors of the predictors package."""

from __future__ import annotations

from hwnas.core import HwnasError


class PredictorError(HwnasError):
    """A predictor was misused: not fitted, too little data, wrong space or shape."""


class ModelFormatError(PredictorError):
    """A saved model file is missing, corrupt, or from another format/library version."""
