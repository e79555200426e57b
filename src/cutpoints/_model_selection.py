"""Old home of :func:`cross_validate` and :func:`make_scorer` (now :mod:`cutpoints.sklearn`)."""

from .sklearn._model_selection import CrossValidationResult, cross_validate, make_scorer

__all__ = ["CrossValidationResult", "cross_validate", "make_scorer"]
