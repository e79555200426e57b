"""scikit-learn front end: tune a classifier's threshold exactly, apply it, estimate it honestly.

:class:`CutpointClassifier` fits a classifier in cross-validation, pools the held-out
scores, and chooses the threshold with the core (:func:`cutpoints.confusion_curve` and
:func:`cutpoints.select_cutpoint`): every distinct out-of-fold score is a candidate, so
the optimum is exact (no grid of 100 thresholds, no interpolation between folds).
:class:`FixedCutpointClassifier` applies a known threshold (a number or a saved
:class:`cutpoints.Cutpoint`) to a model without tuning anything. :func:`cross_validate`
measures a tuned threshold honestly (nested cross-validation) and :func:`make_scorer`
ranks models by what they reach once tuned.

Both estimators follow the scikit-learn contract: ``__init__`` only stores its
arguments, ``fit`` validates, fitted state ends in ``_``, ``predict`` applies
``score >= threshold_`` (or ``<=``) and returns the estimator's own class labels.
Layout: ``_base`` (target check, delegation), ``_cv`` (splits and the tuning step),
``_classifier``, ``_fixed``, ``_model_selection``. Model scores come from
:mod:`cutpoints._responses`. Needs scikit-learn (``pip install "cutpoints[sklearn]"``).
"""

from ._base import NotFittedError
from ._classifier import CutpointClassifier
from ._fixed import FixedCutpointClassifier
from ._model_selection import CrossValidationResult, cross_validate, make_scorer

__all__ = [
    "CrossValidationResult",
    "CutpointClassifier",
    "FixedCutpointClassifier",
    "NotFittedError",
    "cross_validate",
    "make_scorer",
]
