"""Model responses: the one place that turns a fitted classifier into positive-class scores.

Every front end that scores data with a model (the scikit-learn estimators, the plots'
``from_estimator``, the experiments) goes through :func:`positive_scores`, so the
choice of prediction method, the ``pos_label`` column and the sign of a decision
function are decided once, the same way everywhere:

- ``predict_proba``: the column of ``pos_label`` in ``classes_``;
- ``decision_function``: the score of ``classes_[1]``, negated when ``pos_label`` is
  ``classes_[0]`` (scikit-learn's convention), so higher always means more positive;
- ``predict``: 1.0 where the predicted label is ``pos_label``, else 0.0 (hard labels
  give two candidate thresholds only; never chosen by ``"auto"``).

A model whose threshold was already tuned (a cutpoints ``CutpointClassifier`` or
``FixedCutpointClassifier``, scikit-learn's ``FixedThresholdClassifier`` or
``TunedThresholdClassifierCV``, or any object that follows :class:`ThresholdModel` or
:class:`FittedThresholdWrapper`) is recognized by type or protocol, never by its class
name, and scored through its fitted inner model with the response method and positive
label it was tuned with (:func:`tuned_parts`), so its threshold applies to the scores.

This module needs only numpy: scikit-learn is looked at only when it is imported already
(a scikit-learn wrapper cannot exist otherwise).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ._validation import _python_scalar as _python
from ._validation import check_choice
from .errors import InvalidInputError, InvalidLabelsError, InvalidParameterError, NotFittedError

if TYPE_CHECKING:
    from ._cutpoint import Cutpoint

__all__ = [
    "RESPONSE_METHODS",
    "SCORE_METHODS",
    "FittedThresholdWrapper",
    "ThresholdModel",
    "TunedParts",
    "default_threshold",
    "positive_scores",
    "resolve_response_method",
    "tuned_parts",
]

#: Accepted values of every ``response_method`` argument.
RESPONSE_METHODS: tuple[str, ...] = ("auto", "predict_proba", "decision_function", "predict")
#: What ``"auto"`` tries, in order: graded scores only (hard labels are never a default).
SCORE_METHODS: tuple[str, ...] = ("predict_proba", "decision_function")


@dataclass(frozen=True)
class TunedParts:
    """What a threshold-tuned model is made of, for scoring and drawing it.

    Attributes
    ----------
    estimator : estimator instance
        The fitted inner classifier whose scores the threshold applies to.
    cutpoint : Cutpoint or None
        The tuned (or given) cutpoint, when the model keeps one.
    threshold : float
        The threshold applied to the inner model's positive-class scores.
    response_method : str
        The concrete prediction method (``'predict_proba'``, ``'decision_function'`` or
        ``'predict'``) the threshold was tuned on.
    pos_label : object
        The positive class.
    rule : {'>=', '<='}, default='>='
        Positive iff ``score >= threshold`` (or ``<=``).
    """

    estimator: Any
    cutpoint: Cutpoint | None
    threshold: float
    response_method: str
    pos_label: Any
    rule: str = ">="


@runtime_checkable
class ThresholdModel(Protocol):
    """A model that says what it was tuned with (cutpoints' own estimators follow it).

    ``__cutpoints_tuned__()`` returns the model's :class:`TunedParts`, or raises
    :class:`~cutpoints.errors.NotFittedError` when the model is not ready to predict.
    """

    def __cutpoints_tuned__(self) -> TunedParts: ...


@runtime_checkable
class FittedThresholdWrapper(Protocol):
    """Any fitted wrapper with an inner ``estimator_`` and a ``threshold_`` (duck typing).

    Optional attributes are read when present: ``cutpoint_`` (a Cutpoint),
    ``response_method``, and ``pos_label_`` / ``_pos_label_`` / ``pos_label``.
    """

    estimator_: Any
    threshold_: float


def _name(estimator: Any) -> str:
    return type(estimator).__name__


def resolve_response_method(estimator: Any, response_method: str = "auto") -> str:
    """The prediction method that gives ``estimator``'s scores.

    Parameters
    ----------
    estimator : estimator instance
        A classifier (fitted or not: only its methods are looked at).
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, \
default='auto'
        ``'auto'`` prefers ``predict_proba``, then ``decision_function``.

    Returns
    -------
    str
        ``'predict_proba'``, ``'decision_function'`` or ``'predict'``.

    Raises
    ------
    InvalidParameterError
        For an unknown ``response_method``, or when ``estimator`` lacks the method asked
        for (or, for ``'auto'``, both graded ones); the message names the estimator.
    """
    check_choice(response_method, "response_method", RESPONSE_METHODS)
    if response_method == "auto":
        for method in SCORE_METHODS:
            if hasattr(estimator, method):
                return method
        msg = (
            f"'estimator' ({_name(estimator)}) has no predict_proba or decision_function "
            "to give scores to threshold. Use a classifier that scores its predictions, "
            "e.g. wrap it in sklearn.calibration.CalibratedClassifierCV"
        )
        raise InvalidParameterError(msg)
    if not hasattr(estimator, response_method):
        msg = (
            f"'response_method' is {response_method!r} but 'estimator' ({_name(estimator)}) "
            f"has no {response_method} method; use response_method='auto'"
        )
        raise InvalidParameterError(msg)
    return response_method


def _binary_classes(estimator: Any) -> np.ndarray:
    """``estimator.classes_`` (two labels), or the error that says why not."""
    try:
        classes = np.asarray(estimator.classes_)
    except AttributeError:
        msg = (
            f"'estimator' ({_name(estimator)}) has no classes_: it is not fitted (or not a "
            "classifier); fit it first"
        )
        raise NotFittedError(msg) from None
    if classes.ndim != 1 or len(classes) != 2:
        msg = f"'estimator' must be a binary classifier (its classes_ are {classes.tolist()!r})"
        raise InvalidLabelsError(msg)
    return classes


def _positive_column(classes: np.ndarray, pos_label: Any) -> tuple[int, Any]:
    """(column of ``pos_label`` in ``classes``, pos_label); ``None`` means ``classes[1]``."""
    if pos_label is None:
        return 1, _python(classes[1])
    matches = np.flatnonzero(classes == pos_label)
    if matches.size != 1:
        msg = f"'pos_label' must be one of the classes {classes.tolist()!r} (got {pos_label!r})"
        raise InvalidParameterError(msg)
    return int(matches[0]), _python(pos_label)


def _scores_of(estimator: Any, X: Any, method: str, pos_label: Any) -> npt.NDArray[np.float64]:
    """Positive-class scores of a plain fitted binary classifier (``method`` resolved)."""
    classes = _binary_classes(estimator)
    column, positive = _positive_column(classes, pos_label)
    raw = np.asarray(getattr(estimator, method)(X))
    if method == "predict":
        return np.ascontiguousarray(raw.reshape(-1) == positive, dtype=np.float64)
    values = np.asarray(raw, dtype=np.float64)
    if method == "predict_proba":
        if values.ndim != 2 or values.shape[1] != 2:
            msg = (
                f"'estimator' ({_name(estimator)}) predict_proba must return two columns "
                f"for a binary problem (got shape {values.shape})"
            )
            raise InvalidInputError(msg)
        return np.ascontiguousarray(values[:, column])
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        msg = (
            f"'estimator' ({_name(estimator)}) decision_function must return one score per "
            f"row for a binary problem (got shape {values.shape})"
        )
        raise InvalidInputError(msg)
    # decision_function scores classes_[1]; negate so higher means more pos_label.
    return np.ascontiguousarray(values if column == 1 else -values)


def _sklearn_parts(estimator: Any) -> TunedParts | None:
    """Parts of scikit-learn's own threshold wrappers, when scikit-learn is imported."""
    if "sklearn" not in sys.modules:  # no scikit-learn object can exist then
        return None
    try:
        from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
    except ImportError:  # pragma: no cover - scikit-learn < 1.5
        return None
    if isinstance(estimator, TunedThresholdClassifierCV):
        if not hasattr(estimator, "estimator_"):
            msg = f"'estimator' ({_name(estimator)}) is not fitted; call fit() first"
            raise NotFittedError(msg)
        inner = estimator.estimator_
        threshold: Any = estimator.best_threshold_
        # Its positive label lives in the fitted scorer (as in its own predict).
        get_pos_label = getattr(getattr(estimator, "_curve_scorer", None), "_get_pos_label", None)
        pos_label = get_pos_label() if callable(get_pos_label) else None
    elif isinstance(estimator, FixedThresholdClassifier):
        # Like scikit-learn's own predict: a prefit inner model works without fit.
        inner = getattr(estimator, "estimator_", estimator.estimator)
        if not hasattr(inner, "classes_"):
            msg = f"'estimator' ({_name(estimator)}) is not fitted; call fit() first"
            raise NotFittedError(msg)
        threshold = estimator.threshold
        pos_label = estimator.pos_label
    else:
        return None
    method = resolve_response_method(inner, estimator.response_method)
    if isinstance(threshold, str):  # threshold="auto": scikit-learn's default cut
        threshold = 0.5 if method == "predict_proba" else 0.0
    _, positive = _positive_column(_binary_classes(inner), pos_label)
    return TunedParts(inner, None, float(threshold), method, positive)


def _wrapper_parts(estimator: Any) -> TunedParts:
    """Parts of a duck-typed :class:`FittedThresholdWrapper`."""
    from ._cutpoint import Cutpoint

    inner = estimator.estimator_
    cut = getattr(estimator, "cutpoint_", None)
    cut = cut if isinstance(cut, Cutpoint) else None
    method = resolve_response_method(inner, getattr(estimator, "response_method", "auto"))
    pos_label = None
    for attr in ("pos_label_", "_pos_label_", "pos_label"):
        pos_label = getattr(estimator, attr, None)
        if pos_label is not None:
            break
    if pos_label is None and cut is not None:
        pos_label = cut.positive_label
    _, positive = _positive_column(_binary_classes(inner), pos_label)
    rule = cut.rule if cut is not None else str(getattr(estimator, "rule", None) or ">=")
    return TunedParts(inner, cut, float(estimator.threshold_), method, positive, rule)


def tuned_parts(estimator: Any) -> TunedParts | None:
    """The inner model, threshold, method and positive label of a threshold-tuned model.

    Parameters
    ----------
    estimator : object
        Any model.

    Returns
    -------
    TunedParts or None
        None for a plain model (not threshold-tuned).

    Raises
    ------
    NotFittedError
        For a threshold-tuned model that is not fitted yet: one that follows
        :class:`ThresholdModel` and says so, a scikit-learn threshold wrapper before
        ``fit``, or a class that declares ``threshold_`` or ``cutpoint_`` (a property,
        say) while the instance has neither.
    """
    if isinstance(estimator, ThresholdModel):
        return estimator.__cutpoints_tuned__()
    parts = _sklearn_parts(estimator)
    if parts is not None:
        return parts
    if isinstance(estimator, FittedThresholdWrapper):
        return _wrapper_parts(estimator)
    declared = any(hasattr(type(estimator), a) for a in ("threshold_", "cutpoint_"))
    if declared:  # a tuned-model class, but this instance has no fitted state yet
        msg = f"'estimator' ({_name(estimator)}) is not fitted; call fit() first"
        raise NotFittedError(msg)
    return None


def positive_scores(
    estimator: Any, X: Any, *, response_method: str = "auto", pos_label: Any = None
) -> npt.NDArray[np.float64]:
    """Scores of a fitted binary classifier for its positive class; higher = more positive.

    Parameters
    ----------
    estimator : fitted estimator
        A binary classifier, or a threshold-tuned model (see :func:`tuned_parts`),
        which is scored through its fitted inner model with the response method and
        positive label it was tuned with, so its threshold applies to the result.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, \
default='auto'
        For a tuned model, ``'auto'`` means the method it was tuned with.
    pos_label : object, optional
        The positive class; by default a tuned model's own, else ``classes_[1]``.

    Returns
    -------
    ndarray of float64, shape (n_samples,)
        Element i is row i's score for ``pos_label``: the ``predict_proba`` column of
        ``pos_label``, the ``decision_function`` (negated when ``pos_label`` is
        ``classes_[0]``), or 1.0/0.0 from ``predict``.

    Raises
    ------
    InvalidParameterError
        An unknown or missing response method, or a ``pos_label`` that is not a class.
    InvalidLabelsError
        The model is not binary.
    NotFittedError
        The model (or a tuned model's inner model) is not fitted.
    """
    check_choice(response_method, "response_method", RESPONSE_METHODS)
    parts = tuned_parts(estimator)
    if parts is not None:
        method = parts.response_method if response_method == "auto" else response_method
        scorer = parts.estimator
        pos_label = parts.pos_label if pos_label is None else pos_label
        resolve_response_method(scorer, method)
    else:
        scorer = estimator
        method = resolve_response_method(estimator, response_method)
    return _scores_of(scorer, X, method, pos_label)


def default_threshold(response_method: str) -> float:
    """The cut a model applies by default: 0 for a decision function, else 0.5.

    (``predict`` scores are 1.0/0.0, so 0.5 separates them, as for probabilities.)
    """
    return 0.0 if response_method == "decision_function" else 0.5
